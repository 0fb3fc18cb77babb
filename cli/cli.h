/* The nnsimd command: shared helpers of the subcommands (cli/cmd_*.c). */
#ifndef NNS_CLI_H
#define NNS_CLI_H

#include "nnsimd.h"

/* A subcommand: argv[0] is its name. Returns the exit status. */
typedef int cli_cmd(int argc, char **argv);
cli_cmd cmd_info, cmd_verify, cmd_train, cmd_report;

/* Applies --isa NAME (NULL: keep NNSIMD_ISA or the detected ISA). On an
 * unknown or unsupported ISA, prints one line naming the CPU's best ISA
 * and returns 2; else 0. */
int cli_select_isa(const char *isa_flag);

/* One line for an unknown or incomplete option of `cmd`; returns 2. */
int cli_bad_option(const char *cmd, const char *arg);

/* "detected", "capped by NNSIMD_ISA", "capped by --isa" */
const char *cli_isa_reason(nns_isa_reason r);

#endif
