/* Vector transcendental functions built from the vf_* operations of the
 * including ISA's vec.h. */
#ifndef NNS_VMATH_H
#define NNS_VMATH_H

/* exp(x), within 2 ULP over the float range (checked in tests against a
 * double-precision exp). Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2,
 * then Cephes' degree-5 minimax polynomial: exp(r) = 1 + r + r^2 P(r).
 * The scale 2^n is applied as two factors 2^(n/2) 2^(n - n/2), so results
 * overflow to +inf and underflow gradually through the subnormals with a
 * single rounding. NaN propagates through the polynomial.
 *
 * Ours rather than SLEEF's expf8_u10: inlined, it is 1.3-1.5x faster on
 * AVX2 (0.54-0.59 vs 0.72-0.91 ns per element over 16K floats, Zen 3) at
 * the same accuracy class (measured worst 1.22 ULP, tests/suite/
 * test_checker.c), and the attention and softmax loops need it inline.
 * vf_erfc below is ours for the same reason. */
static inline vf vf_exp(vf x)
{
    const vf hi = vf_set1(89.0f), lo = vf_set1(-104.0f);
    x = vf_select(vf_gt(x, hi), hi, vf_select(vf_lt(x, lo), lo, x));
    vf n = vf_round(vf_mul(x, vf_set1(1.44269504088896341f)));
    vf r = vf_fnma(n, vf_set1(0.693359375f), x);  /* ln2 high part, exact product */
    r = vf_fnma(n, vf_set1(-2.12194440e-4f), r);   /* ln2 low part */
    vf p = vf_set1(1.9875691500e-4f);
    p = vf_fma(p, r, vf_set1(1.3981999507e-3f));
    p = vf_fma(p, r, vf_set1(8.3334519073e-3f));
    p = vf_fma(p, r, vf_set1(4.1665795894e-2f));
    p = vf_fma(p, r, vf_set1(1.6666665459e-1f));
    p = vf_fma(p, r, vf_set1(5.0000001201e-1f));
    p = vf_fma(vf_mul(r, r), p, vf_add(r, vf_set1(1.0f)));
    vf n1 = vf_round(vf_mul(n, vf_set1(0.5f)));
    return vf_mul(vf_mul(p, vf_pow2i(n1)), vf_pow2i(vf_sub(n, n1)));
}

/* erfc(z), for GELU (kernels/generic/activation_math.h). Two pieces, both
 * computed, one selected per lane:
 *   |z| < 0.75: 1 - erf(z), erf's Taylor series z (2/sqrt(pi)) sum_n
 *     (-z^2)^n / (n! (2n + 1)) to n = 7 (truncation below 0.1 U there);
 *   else: Numerical Recipes' erfcc (Press et al., 2nd ed., 6.2),
 *     erfc(|z|) = t exp(-z^2 + P(t)), t = 2 / (2 + |z|), P of degree 9,
 *     relative error below 1.2e-7 on [0, inf), with -z^2 + P(t) rounded
 *     once (an FMA); erfc(z) = 2 - erfc(|z|) for z < 0.
 * Its error grows with z^2 in the tail, as exp(-z^2) amplifies the
 * argument's rounding, which is the growth of erfc's own condition number
 * k = |z erfc'(z) / erfc(z)| (about 2 z^2): the claim is a relative error
 * within (6 + 2k) U, U = 2^-24 (tests/suite/test_checker.c; measured worst
 * 0.69 of it, 13.5 U at z = 2.77, on AVX-512). NaN propagates, erfc(+inf)
 * = 0, erfc(-inf) = 2. About 3.7x faster than SLEEF's erfcf16_u15 (1.5
 * ULP), which it replaced: 16K floats in 21.8 against 64 us on the Xeon
 * (intel-xeon-f06-mcf), where GELU's forward and backward had become a
 * fifth of the transformer's training step. */
static inline vf vf_erfc(vf z)
{
    vf az = vf_abs(z);
    vf t = vf_div(vf_set1(2.0f), vf_add(vf_set1(2.0f), az));
    vf q = vf_set1(0.17087277f);
    q = vf_fma(q, t, vf_set1(-0.82215223f));
    q = vf_fma(q, t, vf_set1(1.48851587f));
    q = vf_fma(q, t, vf_set1(-1.13520398f));
    q = vf_fma(q, t, vf_set1(0.27886807f));
    q = vf_fma(q, t, vf_set1(-0.18628806f));
    q = vf_fma(q, t, vf_set1(0.09678418f));
    q = vf_fma(q, t, vf_set1(0.37409196f));
    q = vf_fma(q, t, vf_set1(1.00002368f));
    q = vf_fma(q, t, vf_set1(-1.26551223f));
    vf r = vf_mul(t, vf_exp(vf_fnma(az, az, q)));
    vf tail = vf_select(vf_lt(z, vf_set1(0.0f)), vf_sub(vf_set1(2.0f), r), r);
    vf z2 = vf_mul(z, z);
    vf e = vf_set1(-1.4925650358406251e-05f);
    e = vf_fma(e, z2, vf_set1(1.2055332981789664e-04f));
    e = vf_fma(e, z2, vf_set1(-8.5483270234508528e-04f));
    e = vf_fma(e, z2, vf_set1(5.2239776254421878e-03f));
    e = vf_fma(e, z2, vf_set1(-2.6866170645131252e-02f));
    e = vf_fma(e, z2, vf_set1(1.1283791670955126e-01f));
    e = vf_fma(e, z2, vf_set1(-3.7612638903183754e-01f));
    e = vf_fma(e, z2, vf_set1(1.1283791670955126f));
    vf head = vf_fnma(e, z, vf_set1(1.0f));
    return vf_select(vf_lt(az, vf_set1(0.75f)), head, tail);
}

#endif
