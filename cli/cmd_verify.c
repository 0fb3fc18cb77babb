/* nnsimd verify: every kernel variant against the truth and its bound. */
#include "cli.h"

#include "checker.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: nnsimd verify [--isa ISA] [--kernel K] [--json] [--quick]\n"
    "Checks each kernel variant of every ISA up to the active one against a\n"
    "double-precision truth under the tolerance table's bound (sizes relative\n"
    "to the vector width, misaligned pointers, special values, guard bytes),\n"
    "and the reference backward kernels against finite differences. Prints the\n"
    "worst error as a fraction of its bound. Exit status 1 if any check fails.\n"
    "  --isa ISA    cap the ISA (ISAs above it are reported skipped: capped)\n"
    "  --kernel K   a kernel (gelu_fwd) or a family prefix (gelu, relu)\n"
    "  --json       one JSON object instead of the table\n"
    "  --quick      the lighter size sweep used under emulation\n";

/* A kernel name, or a prefix ending at a '_' of the name. */
static int kernel_matches(const char *name, const char *filter)
{
    size_t n = strlen(filter);
    return !filter[0] || strcmp(name, filter) == 0 ||
           (strncmp(name, filter, n) == 0 && name[n] == '_');
}

static const char *verdict_name(chk_verdict v)
{
    return v == CHK_PASS ? "pass" : v == CHK_FAIL ? "FAIL" : "skipped";
}

static json_t *report_json(const chk_report *r)
{
    json_t *j = json_pack("{s:s, s:s, s:s}", "kernel", nns_kernel_name(r->kernel), "isa",
                          nns_isa_name(r->isa), "verdict", verdict_name(r->verdict));
    if (r->verdict == CHK_SKIP || r->verdict == CHK_FAIL)
        json_object_set_new(j, "reason", json_string(r->reason));
    if (r->verdict != CHK_SKIP) {
        json_object_set_new(j, "worst_of_bound", json_real(r->worst));
        json_object_set_new(j, "worst_at", json_string(r->worst_at));
        json_object_set_new(j, "elements", json_integer((json_int_t)r->elements));
        json_object_set_new(j, "cases", json_integer((json_int_t)r->cases));
        json_object_set_new(j, "mistrusted_cases", json_integer((json_int_t)r->mistrusted));
        json_object_set_new(j, "suspiciously_loose", json_boolean(r->loose));
        if (r->fd_worst >= 0)
            json_object_set_new(j, "finite_difference_worst_of_bound", json_real(r->fd_worst));
    }
    return j;
}

static void report_text(const chk_report *r)
{
    printf("%-16s %-8s %-8s", nns_kernel_name(r->kernel), nns_isa_name(r->isa),
           verdict_name(r->verdict));
    if (r->verdict == CHK_SKIP) {
        printf(" %s\n", r->reason);
        return;
    }
    printf(" %10.3g %9zu", r->worst, r->elements);
    if (r->fd_worst >= 0) printf("  fd %.3g", r->fd_worst);
    if (r->loose) printf("  suspiciously loose (never within 1e-3 of the bound)");
    if (r->mistrusted) printf("  %zu mistrusted cases", r->mistrusted);
    if (r->verdict == CHK_FAIL) printf("\n    %s", r->reason);
    printf("\n");
}

int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"isa", required_argument, NULL, 'i'}, {"kernel", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},      {"quick", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0}};
    const char *isa_flag = NULL, *filter = "";
    int json = 0, quick = 0, o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'i': isa_flag = optarg; break;
        case 'k': filter = optarg; break;
        case 'j': json = 1; break;
        case 'q': quick = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: return cli_bad_option("verify", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "nnsimd verify: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    int rc = cli_select_isa(isa_flag);
    if (rc) return rc;
    size_t matched = 0;
    for (size_t k = 0; k < NNS_KERNEL_COUNT; k++) matched += kernel_matches(nns_kernel_name(k), filter);
    if (!matched) {
        fprintf(stderr, "nnsimd verify: no kernel named or prefixed '%s' (see nnsimd info)\n", filter);
        return 2;
    }

    chk_opts copts;
    chk_default_opts(&copts);
    copts.light |= quick;
    json_t *results = json_array();
    size_t failed = 0;
    if (!json) printf("%-16s %-8s %-8s %10s %9s\n", "kernel", "isa", "verdict", "worst/bound", "elements");
    for (size_t k = 0; k < NNS_KERNEL_COUNT; k++) {
        if (!kernel_matches(nns_kernel_name(k), filter)) continue;
        for (int isa = 0; isa < NNS_ISA_COUNT; isa++) {
            if (!nns_kernels_for((nns_isa)isa)) continue;
            chk_report r;
            chk_run(k, (nns_isa)isa, &copts, &r);
            failed += r.verdict == CHK_FAIL;
            if (json) json_array_append_new(results, report_json(&r));
            else report_text(&r);
        }
    }
    if (json) {
        nns_isa active;
        nns_isa_reason why;
        nns_isa_active(&active, &why);
        json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:o, s:i}", "cpu_id", nns_cpu()->cpu_id,
                              "isa_active", nns_isa_name(active), "isa_reason", cli_isa_reason(why),
                              "quick", copts.light, "results", results, "failed", (int)failed);
        json_dumpf(j, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(j);
    } else {
        json_decref(results);
        printf("%s: %zu check%s failed\n", failed ? "FAIL" : "ok", failed, failed == 1 ? "" : "s");
    }
    return failed ? 1 : 0;
}
