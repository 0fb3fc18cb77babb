/* nnsimd report: tables and PNG figures from result folders. The drawing is
 * tools/report.py's (python3 + matplotlib); this checks the arguments, finds
 * the script and an interpreter, and execs it. --help and a missing folder
 * are answered here, without python. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: nnsimd report DIR [DIR2] [--out OUTDIR]\n"
    "Turns the result JSON under DIR (searched recursively: nnsimd-bench and\n"
    "tools/pytorch_bench JSON, nnsimd verify --json, training --log JSON lines,\n"
    "nnsimd-vs-openblas and nnsimd-mlp-threads --json, *agreement*.md) into\n"
    "OUTDIR/report.md with PNG figures beside it; nothing is re-run. Sections:\n"
    "a roofline per ISA (measured FMA peak and bandwidth from the benchmark\n"
    "context, each kernel by arithmetic intensity and GFLOP/s), speed-up of\n"
    "each ISA over scalar, ratios to OpenBLAS and PyTorch, verification error\n"
    "against bounds, emulated CPUs (qemu: verify results under emulated/ or\n"
    "verify-*.json, correctness only), training curves, the MLP's step on 1\n"
    "thread against N, ISA agreement.\n"
    "With DIR2: a side-by-side comparison of the two folders (two CPUs, two\n"
    "commits): time ratio per benchmark present in both, Google Benchmark's\n"
    "compare.py on the pair, verification and training side by side.\n"
    "  --out OUTDIR  where report.md and the figures go (default: DIR, or\n"
    "                DIR/compare-<name of DIR2> with two folders)\n"
    "Needs python3 with matplotlib (Debian: python3-matplotlib; compare.py:\n"
    "libbenchmark-tools and python3-scipy). NNSIMD_PYTHON=PATH picks the\n"
    "interpreter (default /usr/bin/python3, else python3 on PATH).\n";

static const char apt_line[] = "apt-get install -y python3 python3-matplotlib python3-scipy "
                               "libbenchmark-tools";

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* tools/report.py in the executable's folder or up to three folders above it
 * (build/nnsimd, build/aarch64/nnsimd), or share/nnsimd/report.py beside an
 * installed bin/. */
static int find_script(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash) break;
        *slash = '\0';
        snprintf(out, len, "%s/tools/report.py", exe);
        if (is_file(out)) return 0;
        snprintf(out, len, "%s/share/nnsimd/report.py", exe);
        if (is_file(out)) return 0;
    }
    return -1;
}

/* NNSIMD_PYTHON, else Debian's /usr/bin/python3 (where python3-matplotlib
 * installs; a python3 earlier on PATH, e.g. pyenv's, may lack it), else
 * python3 on PATH. */
static int find_python(char *out, size_t len)
{
    const char *env = getenv("NNSIMD_PYTHON");
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return access(out, X_OK) == 0 ? 0 : -1;
    }
    snprintf(out, len, "/usr/bin/python3");
    if (access(out, X_OK) == 0) return 0;
    const char *path = getenv("PATH");
    if (!path) return -1;
    while (*path) {
        size_t k = strcspn(path, ":");
        snprintf(out, len, "%.*s/python3", (int)k, path);
        if (k && access(out, X_OK) == 0) return 0;
        path += k + (path[k] == ':');
    }
    return -1;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *out = NULL;
    int o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (o) {
        case 'o': out = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: return cli_bad_option("report", argv[optind - 1]);
        }
    }
    int ndirs = argc - optind;
    if (ndirs < 1 || ndirs > 2) {
        fprintf(stderr, "nnsimd report: expects DIR [DIR2], got %d folder%s (try nnsimd report "
                        "--help)\n", ndirs, ndirs == 1 ? "" : "s");
        return 2;
    }
    for (int i = optind; i < argc; i++)
        if (!is_dir(argv[i])) {
            struct stat st;
            fprintf(stderr, "nnsimd report: %s: %s\n", argv[i],
                    stat(argv[i], &st) == 0 ? "not a folder" : strerror(errno));
            return 2;
        }

    char script[PATH_MAX + 32], python[PATH_MAX + 16];
    if (find_script(script, sizeof script) != 0) {
        fprintf(stderr, "nnsimd report: tools/report.py not found beside the executable "
                        "(nor share/nnsimd/report.py); run it from the source tree\n");
        return 2;
    }
    if (find_python(python, sizeof python) != 0) {
        fprintf(stderr, "nnsimd report: needs python3 with matplotlib%s; as root: %s\n",
                getenv("NNSIMD_PYTHON") ? " (NNSIMD_PYTHON is not executable)" : "", apt_line);
        return 2;
    }

    char *args[8];
    int k = 0;
    args[k++] = python;
    args[k++] = script;
    for (int i = optind; i < argc; i++) args[k++] = argv[i];
    if (out) {
        args[k++] = "--out";
        args[k++] = (char *)out;
    }
    args[k] = NULL;
    fflush(stdout);
    execv(python, args);
    fprintf(stderr, "nnsimd report: cannot run %s: %s; as root: %s\n", python, strerror(errno),
            apt_line);
    return 2;
}
