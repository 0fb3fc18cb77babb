/* Shared by the subcommands: ISA selection (--isa, else NNSIMD_ISA, else
 * detected) and option errors. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

const char *cli_isa_reason(nns_isa_reason r)
{
    switch (r) {
    case NNS_ISA_CAPPED_ENV: return "capped by NNSIMD_ISA";
    case NNS_ISA_CAPPED_CALL: return "capped by --isa";
    default: return "detected";
    }
}

static int isa_error(const char *source, const char *name, nns_status st)
{
    const char *best = nns_isa_name(nns_isa_best());
    if (st == NNS_ERR_ISA_UNKNOWN)
        fprintf(stderr, "nnsimd: %s names unknown ISA '%s' (scalar, avx2, avx512 or neon); "
                        "this CPU's best ISA is %s\n", source, name, best);
    else
        fprintf(stderr, "nnsimd: %s asks for %s, which this CPU does not support; "
                        "its best ISA is %s\n", source, name, best);
    return 2;
}

int cli_select_isa(const char *isa_flag)
{
    if (isa_flag) {
        nns_isa isa;
        nns_status st = nns_isa_parse(isa_flag, &isa);
        if (st == NNS_OK) st = nns_set_isa(isa);
        return st == NNS_OK ? 0 : isa_error("--isa", isa_flag, st);
    }
    nns_status st = nns_isa_active(NULL, NULL);
    return st == NNS_OK ? 0 : isa_error("NNSIMD_ISA", getenv("NNSIMD_ISA"), st);
}

int cli_bad_option(const char *cmd, const char *arg)
{
    fprintf(stderr, "nnsimd %s: unknown option or missing value: '%s' (try nnsimd %s --help)\n",
            cmd, arg, cmd);
    return 2;
}
