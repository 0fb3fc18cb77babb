/* The tolerance table. A bound is derived once, here or beside its error
 * model, and never loosened to make a test pass. (gelu_fwd and gelu_bwd:
 * when our vector erfc replaced SLEEF's, their bounds stayed as they were;
 * only the derivation in their comments was restated for the new erfc's
 * own, tested error, (6 + 2k) U, which the bounds' factor 2 still covers.
 * dropout's row, one rounding (factor 1), was added with its kernel and
 * derived in its own comment; no existing bound was changed then.) */
#include "tolerance.h"

#include "nnsimd.h"

#include <float.h>
#include <math.h>
#include <string.h>

static const chk_tolerance table[] = {
    {"relu_fwd", 0, "exact",
     "max(x, 0) is a select: no rounding at all"},
    {"relu_bwd", 1, "|t|",
     "one addition din + dout: a single rounding, |err| <= U |t| exactly"},
    {"gelu_fwd", 2, "(8 + 2k)|t|, k = |z erfc'(z)/erfc(z)|, z = -x/sqrt2",
     "first-order: the vector erfc within (6 + 2k)U (kernels/generic/vmath.h, "
     "held to it in tests/suite/test_checker.c), z's two roundings amplified by "
     "erfc's condition number k, one product: 8 + 4k <= 2(8 + 2k); the rest of "
     "the x2 covers second-order terms and libm's erfc in the reference"},
    {"gelu_bwd", 2, "|t| + |dy|(2|g| + (7 + 2k)|Phi| + (7 + x^2/2)|x phi|)",
     "first-order: the Phi term as in gelu_fwd (7 + 4k <= 2(7 + 2k)), the x phi(x) term with exp <= 2 ULP "
     "and the rounding of x^2 amplified by x^2/2, then sum, product and "
     "accumulation; x2 for second-order terms"},
    {"gelu_tanh_fwd", 2, "(9 + 14|w|(1-s))|t|, w = 2u, s = sigmoid(w)",
     "first-order: w carries 7 roundings, amplified by sigmoid's condition "
     "number |w|(1-s); exp <= 2 ULP, one division, two products; x2 for "
     "second-order terms"},
    {"gelu_tanh_bwd", 2, "|t| + |dy|(2|g| + (8 + 14|w|(1-s))|s| + (22 + 14|w|)|R|)",
     "first-order: s as in gelu_tanh_fwd; R = x s(1-s) dw/dx with s(1-s) = e a^2 "
     "sensitive to w by |w|, dw/dx with 6 roundings; then sum, product and "
     "accumulation; x2 for second-order terms"},
    {"embedding_fwd", 0, "exact",
     "a row copy: no arithmetic, every bit of the table row (checked bit for bit too)"},
    {"embedding_bwd", 1, "sum_{k=1..m} |s_k| / (1 - mU), s_k the partial sums of the m repeats",
     "m additions in order of i, each |fl(a+b) - (a+b)| <= U |fl(a+b)|; bounding the computed "
     "partial sums by the exact ones gives the 1/(1 - mU): rigorous, no second-order slack"},
    {"add", 1, "|t|",
     "one addition: a single rounding, |err| <= U |t| exactly"},
    {"mean_pool_fwd", 1, "|t| + (1+U) sum_{k=2..L} |s_k| / (L (1 - (L-1)U))",
     "L - 1 float additions in order of i (0 + x_1 is exact) bounded as embedding_bwd's, divided "
     "by L, then the division's own rounding U |t|"},
    {"mean_pool_bwd", 1, "|t| + (1+U) |dout/L|",
     "one rounding of q = dout/L carried into din, one of the accumulation din + q"},
    {"sum_squares", 1, "n sum x_i^2 / (1 - nU)",
     "gamma_n sum x^2 (Higham 3.1): n rounded squares summed in ANY order or blocking, FMA or "
     "not; the reference (double accumulation) is within U|t| + n 2^-53 sum x^2 of it"},
    {"scale", 1, "|t|",
     "one product s * x: a single rounding, |err| <= U |t| exactly"},
    {"dropout", 1, "|t|",
     "x times 1/(1-p) where kept, times 0 where dropped: one product, a single rounding; the "
     "mask is integer arithmetic, identical on every ISA (checked bit for bit against the "
     "reference, its keep rate and independence statistically: check_dropout.c)"},
    {"attention_fwd", 2,
     "out_c: sum_k p_k|v_kc| (th_k + Th + 2n); lse: Th + n-1 + 2 log(sum) + |lse|; "
     "th_k = (d+3) a_k + |s_k - m| + 4 + 5(n-1-k), a_k = sum_c |q_c k_kc|/sqrt(d), "
     "Th = sum_k p_k th_k",
     "first-order (check_attention.c): a score is a length-d dot (d) times the rounded "
     "1/sqrt(d) (3), exp's argument s-m rounded and exp <= 2 ULP (4); covers the one-pass "
     "reference and the tiled online softmax alike: keys ascending in tiles, the running max's "
     "argument roundings telescope to |s_k - m|, and each of the <= n-1-k later rescalings "
     "of the sum and out by exp(m_old - m_new) adds its exp (4) and product (1); an argument "
     "error th_k moves p_k by th_k + Th; sum of n positives in any order (n-1), division 1 "
     "(of p or of the accumulated out), out's length-n dot (n); lse adds logf's ULP and one "
     "addition. Normalized by sum p|v|, not |out|; x2 for second-order terms"},
    {"attention_bwd", 2,
     "dv: N(|dv0| + sum_i p|g|) + sum_i p|g|(ph+1); dk: N(|dk0| + sc sum_i|ds q|) + "
     "sc sum_i(4|ds q| + De|q|); dq: |dq| + sc sum_k((n+3)|ds k| + De|k|)",
     "first-order (check_attention.c): p = exp(s - lse) (exp <= 2 ULP) errs by ph = (d+3)a + "
     "|s-lse| + 4 + the forward's lse bound; ds = p(dp - D) by De = |ds|(ph+2) + "
     "p(d sum|g v| + e_D), e_D the length-d dot g.out plus the forward's out bound; then the "
     "products in any order, FMA or not, and the accumulation over the N rows that see a key "
     "(n keys for dq): row by row (reference) or tiled with dk, dv summed across query blocks "
     "in place and dq per block, added once; x2 for second-order terms"},
    {"cross_entropy_fwd_bwd", 2,
     "loss: (sum_i S_i + (c-1) sum_i l_i)/c + 2 loss, S_i = H + 4 log s + |z_t| + l_i, "
     "H = (V-1) + sum_j p_j (|z_j| + 4); dlogits: |r| + 3|q| + p_j (|z_j| + 5 + H)/c",
     "first-order (check_loss.c): z = x - max rounded, exp and log <= 2 ULP, the V-term "
     "sum of positives in any order, log turning s's relative error absolute, the mean over "
     "c rows; p = e/s, (p - 1) * fl(1/c), accumulation; x2 for second-order terms"},
    {"mse_fwd_bwd", 2, "loss: (n + 4) loss; dpred: |r| + 3|q|, q = 2 (p - y)/n",
     "first-order: difference, square, an n-term sum of non-negatives in any order, "
     "division by n; gradient: fl(2/n), difference, product, accumulation; x2 for "
     "second-order terms"},
    {"sgd_step", 2, "propagated over the steps from S = 0: each rounding adds |result|, "
     "each operand's S enters times its partial derivative (check_optim.c)",
     "first-order, every rounding of torch's op order counted (<= 6 a step), carried through "
     "the momentum recurrence; x2 for second-order terms"},
    {"adam_step", 2, "propagated over the steps from S = 0 as for sgd_step; sqrt: "
     "min(S_v/(2 sqrt v), sqrt(S_v/U)); division: relative S_denom/denom",
     "first-order, every rounding of torch's op order and of the derived float constants "
     "counted, carried through m, v and param; x2 for second-order terms"},
    {"linear_fwd", 1, "Lip (K+1)(sum|a_k b_k| + |bias|)/(1-(K+1)U) + B_act/U, K = c",
     "z is a (K+1)-term dot product (bias as a product by 1): gamma_{K+1} bounds it in "
     "any order, with or without FMA (Higham 3.1); the activation adds its own row's bound "
     "B_act and passes z's error through its Lipschitz constant near z"},
    {"linear_bwd", 1, "(m+1)(|acc0| + sum|g coef|)/(1-(m+1)U) + (1+gamma) sum|coef| B_g/U",
     "each gradient is acc0 plus an m-term dot product (din: m = oc, dweight and dbias: "
     "m = n): gamma_{m+1} in any order; g = dout act'(pre) carries the activation "
     "backward's bound B_g, propagated by the coefficients"},
    {"layernorm_fwd", 1, "out G(|y| + |rw| S_m + |drw|(S_r + 3)); mean S_m = gamma_{C+1} mean|x|/U; rstd G S_r r",
     "two-pass statistics: the mean gamma_{C+1}, the variance gamma_{C+4} plus the mean's error "
     "squared (deviations about the exact mean sum to 0), rstd half the variance's relative "
     "error plus 2.5U, three products and a sum; G = 1/(1-(C+16)U) covers second order"},
    {"layernorm_bwd", 1, "din G(|din| + |t| + r S_u); dweight gamma_{n+3} sum|g xhat|; dbias gamma_n sum|g|",
     "the formula on its inputs (mean, rstd given): xhat 2 roundings, the row means "
     "gamma_{C+2} and gamma_{C+5}, three roundings in the bracket, one product and the "
     "accumulation; dweight and dbias are (n+1)-term sums in any order; G as layernorm_fwd"},
};

const chk_tolerance *chk_tolerance_for(size_t k)
{
    const char *name = nns_kernel_name(k);
    for (size_t i = 0; name && i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].kernel, name) == 0) return &table[i];
    return NULL;
}

double chk_subnormal_floor(double x, double dy)
{
    double ax = isfinite(x) ? fabs(x) : 0, ady = isfinite(dy) ? fabs(dy) : 0;
    return FLT_MIN * (1.0 + ax) * (1.0 + ady);
}
