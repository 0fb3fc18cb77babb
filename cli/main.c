/* nnsimd: the command-line front end. One file per subcommand. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    cli_cmd *run;
    const char *what;
} commands[] = {
    {"info", cmd_info, "describe the CPU, its ISAs and which variant each kernel runs"},
    {"verify", cmd_verify, "check every kernel variant against its reference and bound"},
    {"train", cmd_train, "train a model end to end (mlp on MNIST, transformer on IMDb)"},
    {"report", cmd_report, "tables and PNG figures from result folders; compare two"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: nnsimd COMMAND [options]   (nnsimd COMMAND --help for its options)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].what);
    fprintf(out, "\nEnvironment: NNSIMD_ISA=scalar|avx2|avx512|neon caps the ISA "
                 "(--isa overrides it).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("nnsimd %d.%d.%d\n", NNSIMD_VERSION_MAJOR, NNSIMD_VERSION_MINOR,
               NNSIMD_VERSION_PATCH);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "nnsimd: unknown command '%s' (try nnsimd --help)\n", argv[1]);
    return 2;
}
