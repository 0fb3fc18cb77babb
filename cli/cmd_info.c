/* nnsimd info: the CPU, its ISAs, and which variant each kernel runs. */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: nnsimd info [--json] [--isa ISA]\n"
    "Describes the CPU (vendor, brand, family/model/stepping, cpu id), the ISA\n"
    "features found and whether the OS enables them, cores and caches (hwloc),\n"
    "the active ISA and why, and per kernel and ISA whether the variant is\n"
    "native or which ISA it falls back to.\n"
    "  --json      one JSON object instead of text\n"
    "  --isa ISA   cap the ISA (scalar, avx2, avx512, neon); overrides NNSIMD_ISA\n";

/* "native", or the ISA kernel k falls back to under `isa`. */
static const char *provider_label(nns_isa isa, size_t k)
{
    nns_isa p = nns_kernel_provider(isa, k);
    return p == isa ? "native" : nns_isa_name(p);
}

static json_t *info_json(nns_isa active, nns_isa_reason why)
{
    const nns_cpu_info *c = nns_cpu();
    json_t *supported = json_array(), *kernels = json_object();
    for (int i = 0; i < NNS_ISA_COUNT; i++)
        if (nns_isa_supported((nns_isa)i)) json_array_append_new(supported, json_string(nns_isa_name((nns_isa)i)));
    for (size_t k = 0; k < NNS_KERNEL_COUNT; k++) {
        json_t *row = json_object();
        for (int i = 0; i < NNS_ISA_COUNT; i++)
            if (nns_kernels_for((nns_isa)i))
                json_object_set_new(row, nns_isa_name((nns_isa)i), json_string(provider_label((nns_isa)i, k)));
        json_object_set_new(kernels, nns_kernel_name(k), row);
    }
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:{s:b, s:b, s:b, s:b, s:b, s:b, s:b}, "
                     "s:{s:b, s:b}, s:{s:i, s:i, s:I, s:I, s:I, s:I, s:b}, s:o, s:s, s:s, s:s, s:o}",
                     "cpu_id", c->cpu_id, "vendor", c->vendor, "brand", c->brand,
                     "family", c->family, "model", c->model, "stepping", c->stepping,
                     "features", "avx2", c->has_avx2, "fma", c->has_fma, "avx512f", c->has_avx512f,
                     "avx512bw", c->has_avx512bw, "avx512dq", c->has_avx512dq,
                     "avx512vl", c->has_avx512vl, "neon", c->has_neon,
                     "os_state", "ymm", c->os_ymm, "zmm", c->os_zmm,
                     "topology", "cores", c->cores, "threads", c->threads,
                     "l1d_bytes", (json_int_t)c->l1d_bytes, "l2_bytes", (json_int_t)c->l2_bytes,
                     "l3_bytes", (json_int_t)c->l3_bytes, "l3_usable_bytes", (json_int_t)c->l3_usable_bytes,
                     "hypervisor", c->hypervisor,
                     "isa_supported", supported, "isa_best", nns_isa_name(nns_isa_best()),
                     "isa_active", nns_isa_name(active), "isa_reason", cli_isa_reason(why),
                     "kernels", kernels);
}

static const char *yes(int b) { return b ? "yes" : "no"; }

static void print_bytes(const char *label, size_t b)
{
    if (b >= 1 << 20) printf("%s %zu MiB", label, b >> 20);
    else printf("%s %zu KiB", label, b >> 10);
}

static void info_text(nns_isa active, nns_isa_reason why)
{
    const nns_cpu_info *c = nns_cpu();
    printf("nnsimd %d.%d.%d\n", NNSIMD_VERSION_MAJOR, NNSIMD_VERSION_MINOR, NNSIMD_VERSION_PATCH);
    printf("cpu:        %s %s, family 0x%x model 0x%x stepping %d\n", c->vendor,
           c->brand[0] ? c->brand : "(no brand string)", (unsigned)c->family,
           (unsigned)c->model, c->stepping);
    printf("cpu id:     %s\n", c->cpu_id);
    printf("topology:   %d cores, %d threads;", c->cores, c->threads);
    print_bytes(" L1d", c->l1d_bytes);
    print_bytes(", L2", c->l2_bytes);
    print_bytes(", L3", c->l3_bytes);
    if (c->l3_usable_bytes != c->l3_bytes)
        print_bytes(c->l3_bytes ? " (a guest: counts on" : " (none reported: assumes", c->l3_usable_bytes), printf(")");
    printf("\n");
#if defined(__x86_64__)
    printf("features:   avx2 %s, fma %s, avx512f %s, avx512bw %s, avx512dq %s, avx512vl %s\n",
           yes(c->has_avx2), yes(c->has_fma), yes(c->has_avx512f), yes(c->has_avx512bw),
           yes(c->has_avx512dq), yes(c->has_avx512vl));
    printf("os state:   ymm %s, zmm+opmask %s (XCR0)\n", c->os_ymm ? "enabled" : "not enabled",
           c->os_zmm ? "enabled" : "not enabled");
#else
    printf("features:   neon (asimd) %s\n", yes(c->has_neon));
#endif
    printf("isa:       ");
    for (int i = 0; i < NNS_ISA_COUNT; i++)
        if (nns_kernels_for((nns_isa)i))
            printf(" %s %s", nns_isa_name((nns_isa)i), nns_isa_supported((nns_isa)i) ? "supported" : "unsupported");
    printf("\nactive ISA: %s (%s)\n\n", nns_isa_name(active), cli_isa_reason(why));

    int width = (int)strlen("kernel");
    for (size_t k = 0; k < NNS_KERNEL_COUNT; k++)
        if ((int)strlen(nns_kernel_name(k)) > width) width = (int)strlen(nns_kernel_name(k));
    printf("%-*s  ", width, "kernel");
    for (int i = 0; i < NNS_ISA_COUNT; i++)
        if (nns_kernels_for((nns_isa)i)) printf("%-10s", nns_isa_name((nns_isa)i));
    printf("\n");
    for (size_t k = 0; k < NNS_KERNEL_COUNT; k++) {
        printf("%-*s  ", width, nns_kernel_name(k));
        for (int i = 0; i < NNS_ISA_COUNT; i++) {
            if (!nns_kernels_for((nns_isa)i)) continue;
            nns_isa p = nns_kernel_provider((nns_isa)i, k);
            if (p == (nns_isa)i) printf("%-10s", "native");
            else printf("-> %-7s", nns_isa_name(p));
        }
        printf("\n");
    }
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"isa", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int json = 0, o;
    const char *isa_flag = NULL;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'j': json = 1; break;
        case 'i': isa_flag = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: return cli_bad_option("info", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "nnsimd info: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    int rc = cli_select_isa(isa_flag);
    if (rc) return rc;
    nns_isa active;
    nns_isa_reason why;
    nns_isa_active(&active, &why);
    if (json) {
        json_t *j = info_json(active, why);
        json_dumpf(j, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(j);
    } else {
        info_text(active, why);
    }
    return 0;
}
