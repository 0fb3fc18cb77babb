/* nnsimd train mlp (the MNIST MLP) and nnsimd train transformer (the
 * IMDb transformer). */
#include "cli.h"

#include "train_mlp.h"
#include "train_transformer.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: nnsimd train mlp [options]\n"
    "Trains a 784 -> hidden... -> 10 MLP on MNIST (PyTorch's initialization,\n"
    "mean cross-entropy, shuffled mini-batches from the seed), evaluating after\n"
    "every epoch; ends with 'test accuracy: A (k/n), train time T s' on stdout.\n"
    "  --data DIR          data root (or its mnist/ folder); else NNSIMD_DATA, else\n"
    "                      data/ at the project's top (make data fills it)\n"
    "  --hidden LIST       hidden sizes, comma-separated (default 512,512)\n"
    "  --act relu|gelu     activation (default relu)\n"
    "  --epochs N          (default 20)\n"
    "  --batch N           (default 128)\n"
    "  --optimizer sgd|adam|adamw  (default adamw)\n"
    "  --lr X              learning rate (default 1e-3)\n"
    "  --weight-decay X    (default 0.01 for adamw, else 0)\n"
    "  --cosine            decay the learning rate to 0 over the run (cosine)\n"
    "  --momentum X        SGD momentum (default 0)\n"
    "  --seed N            (default 1)\n"
    "  --threads N         (default 1); results are identical for any N\n"
    "  --holdout           train on the first 55,000 images, evaluate on the last\n"
    "                      5,000 (for tuning; the test set stays unseen)\n"
    "  --max-steps N       stop after N steps in all\n"
    "  --log FILE          JSON lines: one per step, one per epoch\n"
    "  --save FILE         checkpoint (safetensors) after every epoch, atomically\n"
    "  --save-every N      also every N steps\n"
    "  --resume FILE       continue from a checkpoint, bit for bit\n"
    "  --init-only         write the initialized model to --save and stop (the\n"
    "                      starting point tools/pytorch_mlp.py trains from)\n"
    "  --detect-anomaly    check every kernel's output for NaN and infinity and stop\n"
    "                      at the first, naming the kernel and the layer (slower)\n"
    "  --profile           after training, print on stderr where a step's time\n"
    "                      went: each phase (fill, forward, loss, backward, update\n"
    "                      of each layer), each thread's work in it and the wait\n"
    "  --isa ISA           cap the ISA (overrides NNSIMD_ISA)\n";

/* The subcommand the parsers below report for ("train mlp"). */
static const char *cmd_name = "train mlp";

/* Strict number parsing: the whole argument, finite, in range. */
static int parse_u64(const char *flag, const char *s, uint64_t lo, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-' || v < lo) {
        fprintf(stderr, "nnsimd %s: %s %s: expected an integer >= %llu\n", cmd_name, flag, s,
                (unsigned long long)lo);
        return -1;
    }
    *out = v;
    return 0;
}

/* An integer in [lo, hi]. */
static int parse_range(const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (parse_u64(flag, s, lo, out) != 0) return -1;
    if (*out > hi) {
        fprintf(stderr, "nnsimd %s: %s %s: expected an integer from %llu to %llu\n", cmd_name, flag,
                s, (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    return 0;
}

static int parse_float(const char *flag, const char *s, float *out)
{
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v < 0) {
        fprintf(stderr, "nnsimd %s: %s %s: expected a finite number >= 0\n", cmd_name, flag, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int train_mlp(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},     {"hidden", required_argument, NULL, 'H'},
        {"act", required_argument, NULL, 'a'},      {"epochs", required_argument, NULL, 'e'},
        {"batch", required_argument, NULL, 'b'},    {"optimizer", required_argument, NULL, 'o'},
        {"lr", required_argument, NULL, 'l'},       {"weight-decay", required_argument, NULL, 'w'},
        {"momentum", required_argument, NULL, 'm'}, {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},  {"holdout", no_argument, NULL, 'O'},
        {"max-steps", required_argument, NULL, 'M'}, {"log", required_argument, NULL, 'L'},
        {"save", required_argument, NULL, 'S'},     {"save-every", required_argument, NULL, 'E'},
        {"resume", required_argument, NULL, 'R'},   {"isa", required_argument, NULL, 'i'},
        {"init-only", no_argument, NULL, 'I'},      {"cosine", no_argument, NULL, 'C'},
        {"detect-anomaly", no_argument, NULL, 'A'}, {"profile", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    nns_mlp_train_opts o = {.hidden = "512,512", .act = NNS_ACT_RELU, .epochs = 20, .batch = 128,
                            .lr = 1e-3f, .optimizer = NNS_OPT_ADAMW, .seed = 1, .threads = 1};
    const char *isa_flag = NULL;
    int wd_given = 0, opt;
    uint64_t u;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case 'd': o.data = optarg; break;
        case 'H': o.hidden = optarg; break;
        case 'a':
            if (strcmp(optarg, "relu") == 0) o.act = NNS_ACT_RELU;
            else if (strcmp(optarg, "gelu") == 0) o.act = NNS_ACT_GELU;
            else bad = fprintf(stderr, "nnsimd train mlp: --act %s: relu or gelu\n", optarg) > 0;
            break;
        case 'e': bad = parse_u64("--epochs", optarg, 1, &u) || u > 100000; o.epochs = (int)u; break;
        case 'b': bad = parse_u64("--batch", optarg, 1, &u) || u > 65536; o.batch = (size_t)u; break;
        case 'o':
            if (strcmp(optarg, "sgd") == 0) o.optimizer = NNS_OPT_SGD;
            else if (strcmp(optarg, "adam") == 0) o.optimizer = NNS_OPT_ADAM;
            else if (strcmp(optarg, "adamw") == 0) o.optimizer = NNS_OPT_ADAMW;
            else bad = fprintf(stderr, "nnsimd train mlp: --optimizer %s: sgd, adam or adamw\n", optarg) > 0;
            break;
        case 'l': bad = parse_float("--lr", optarg, &o.lr); break;
        case 'w': bad = parse_float("--weight-decay", optarg, &o.weight_decay); wd_given = 1; break;
        case 'm': bad = parse_float("--momentum", optarg, &o.momentum); break;
        case 's': bad = parse_u64("--seed", optarg, 0, &o.seed); break;
        case 't': bad = parse_u64("--threads", optarg, 1, &u) || u > 256; o.threads = (int)u; break;
        case 'O': o.holdout = 1; break;
        case 'M': bad = parse_u64("--max-steps", optarg, 1, &o.max_steps); break;
        case 'L': o.log = optarg; break;
        case 'S': o.save = optarg; break;
        case 'E': bad = parse_u64("--save-every", optarg, 1, &o.save_every); break;
        case 'R': o.resume = optarg; break;
        case 'I': o.init_only = 1; break;
        case 'C': o.cosine = 1; break;
        case 'A': o.detect_anomaly = 1; break;
        case 'P': o.profile = 1; break;
        case 'i': isa_flag = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: return cli_bad_option("train mlp", argv[optind - 1]);
        }
        if (bad) return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "nnsimd train mlp: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!wd_given && o.optimizer == NNS_OPT_ADAMW) o.weight_decay = 0.01f;
    int rc = cli_select_isa(isa_flag);
    return rc ? rc : nns_train_mlp(&o);
}

static const char tf_usage[] =
    "usage: nnsimd train transformer [options]\n"
    "Trains a transformer encoder (token and learned position embeddings, pre-LN\n"
    "blocks of multi-head self-attention with the key-padding mask and a GELU MLP\n"
    "of width 4C, final layer norm, masked mean-pool, linear head) to classify\n"
    "IMDb reviews, with AdamW, linear warm-up then cosine decay and gradient\n"
    "clipping; test accuracy after every epoch; ends with 'test accuracy: A (k/n),\n"
    "train time T s' on stdout.\n"
    "  --data DIR          data root (or its imdb/ folder, reviews.json(.gz), aclImdb/);\n"
    "                      else NNSIMD_DATA, else data/ at the project's top\n"
    "  --epochs N          (default 3)\n"
    "  --batch N           (default 32)\n"
    "  --lr X              peak learning rate (default 2e-3)\n"
    "  --weight-decay X    AdamW's decoupled weight decay (default 0.1)\n"
    "  --warmup N          linear warm-up steps (default: a tenth of all steps), then\n"
    "                      cosine decay to 0 at the last step of the last epoch\n"
    "  --clip X            clip the gradient to global L2 norm X (default 1; 0: off)\n"
    "  --dropout P         dropout rate on the embeddings and on both residual branches\n"
    "                      of every block, in training only (default 0.1; 0: off)\n"
    "  --seed N            (default 1); also seeds the dropout masks\n"
    "  --threads N         (default 1); results are identical for any N\n"
    "  --max-len T         tokens kept per review (default 256)\n"
    "  --keep first|last|ends  which max-len words of a longer review are kept: the\n"
    "                      first, the last or half from each end (default ends)\n"
    "  --vocab N           vocabulary size, <pad> and <unk> included (default 20000)\n"
    "  --layers L          encoder blocks (default 2)\n"
    "  --heads H           attention heads (default 4)\n"
    "  --dim C             model width, a multiple of H (default 128)\n"
    "  --holdout           hold out every 10th training review (2,500) and evaluate on\n"
    "                      them (for tuning; the test reviews stay unseen)\n"
    "  --train-subset N    train on N training reviews, evenly spaced (quick runs)\n"
    "  --max-steps N       stop after N steps in all\n"
    "  --log FILE          JSON lines: one per step, one per epoch\n"
    "  --save FILE         checkpoint (safetensors, vocabulary in the metadata) after\n"
    "                      every epoch, atomically\n"
    "  --save-every N      also every N steps\n"
    "  --resume FILE       continue from a checkpoint, bit for bit\n"
    "  --init-only         write the initialized model to --save and stop (the\n"
    "                      starting point tools/pytorch_transformer.py trains from)\n"
    "  --dump-batches FILE write each step's reviews, labels, lengths and token ids\n"
    "                      (JSON lines; tools/pytorch_transformer.py reads them)\n"
    "  --detect-anomaly    check every kernel's output for NaN and infinity and stop\n"
    "                      at the first, naming the kernel and the layer (slower)\n"
    "  --isa ISA           cap the ISA (overrides NNSIMD_ISA)\n";

static int train_transformer(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},       {"epochs", required_argument, NULL, 'e'},
        {"batch", required_argument, NULL, 'b'},      {"lr", required_argument, NULL, 'l'},
        {"weight-decay", required_argument, NULL, 'w'}, {"warmup", required_argument, NULL, 'W'},
        {"clip", required_argument, NULL, 'c'},       {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},    {"max-len", required_argument, NULL, 'T'},
        {"vocab", required_argument, NULL, 'V'},      {"layers", required_argument, NULL, 'n'},
        {"heads", required_argument, NULL, 'H'},      {"dim", required_argument, NULL, 'C'},
        {"holdout", no_argument, NULL, 'O'},          {"train-subset", required_argument, NULL, 'u'},
        {"max-steps", required_argument, NULL, 'M'},  {"log", required_argument, NULL, 'L'},
        {"save", required_argument, NULL, 'S'},       {"save-every", required_argument, NULL, 'E'},
        {"resume", required_argument, NULL, 'R'},     {"init-only", no_argument, NULL, 'I'},
        {"dump-batches", required_argument, NULL, 'D'}, {"isa", required_argument, NULL, 'i'},
        {"detect-anomaly", no_argument, NULL, 'A'},   {"dropout", required_argument, NULL, 'p'},
        {"keep", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
    nns_tf_train_opts o;
    nns_tf_train_defaults(&o);
    const char *isa_flag = NULL;
    int opt;
    uint64_t u;
    cmd_name = "train transformer";
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case 'd': o.data = optarg; break;
        case 'e': bad = parse_range("--epochs", optarg, 1, 100000, &u); o.epochs = (int)u; break;
        case 'b': bad = parse_range("--batch", optarg, 1, 65536, &u); o.batch = (size_t)u; break;
        case 'l': bad = parse_float("--lr", optarg, &o.lr); break;
        case 'w': bad = parse_float("--weight-decay", optarg, &o.weight_decay); break;
        case 'W': bad = parse_range("--warmup", optarg, 0, INT64_MAX, &u); o.warmup = (int64_t)u; break;
        case 'c': bad = parse_float("--clip", optarg, &o.clip); break;
        case 'p':
            bad = parse_float("--dropout", optarg, &o.dropout);
            if (!bad && !(o.dropout >= 0.0f && o.dropout < 1.0f)) {
                fprintf(stderr, "nnsimd train transformer: --dropout %s: a rate in [0, 1) expected\n", optarg);
                bad = 1;
            }
            break;
        case 'k':
            if (nns_keep_parse(optarg, &o.keep) != 0) {
                fprintf(stderr, "nnsimd train transformer: --keep %s: first, last or ends expected\n", optarg);
                bad = 1;
            }
            break;
        case 's': bad = parse_u64("--seed", optarg, 0, &o.seed); break;
        case 't': bad = parse_range("--threads", optarg, 1, 256, &u); o.threads = (int)u; break;
        case 'T': bad = parse_range("--max-len", optarg, 1, 1u << 20, &u); o.max_len = (size_t)u; break;
        case 'V': bad = parse_range("--vocab", optarg, 2, INT32_MAX, &u); o.vocab = (size_t)u; break;
        case 'n': bad = parse_range("--layers", optarg, 1, 64, &u); o.layers = (size_t)u; break;
        case 'H': bad = parse_range("--heads", optarg, 1, 65536, &u); o.heads = (size_t)u; break;
        case 'C': bad = parse_range("--dim", optarg, 1, 65536, &u); o.dim = (size_t)u; break;
        case 'O': o.holdout = 1; break;
        case 'u': bad = parse_u64("--train-subset", optarg, 1, &u); o.train_subset = (size_t)u; break;
        case 'M': bad = parse_u64("--max-steps", optarg, 1, &o.max_steps); break;
        case 'L': o.log = optarg; break;
        case 'S': o.save = optarg; break;
        case 'E': bad = parse_u64("--save-every", optarg, 1, &o.save_every); break;
        case 'R': o.resume = optarg; break;
        case 'I': o.init_only = 1; break;
        case 'D': o.dump_batches = optarg; break;
        case 'A': o.detect_anomaly = 1; break;
        case 'i': isa_flag = optarg; break;
        case 'h': fputs(tf_usage, stdout); return 0;
        default: return cli_bad_option("train transformer", argv[optind - 1]);
        }
        if (bad) return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "nnsimd train transformer: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (o.dim % o.heads) {
        fprintf(stderr, "nnsimd train transformer: --dim %zu is not a multiple of --heads %zu\n",
                o.dim, o.heads);
        return 2;
    }
    int rc = cli_select_isa(isa_flag);
    return rc ? rc : nns_train_transformer(&o);
}

int cmd_train(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs("usage: nnsimd train MODEL [options]   (nnsimd train MODEL --help)\n"
              "  mlp            784-512-512-10 MLP on MNIST\n"
              "  transformer    2-layer transformer encoder on IMDb reviews (sentiment)\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "mlp") == 0) return train_mlp(argc - 1, argv + 1);
    if (strcmp(argv[1], "transformer") == 0) return train_transformer(argc - 1, argv + 1);
    fprintf(stderr, "nnsimd train: unknown model '%s' (mlp, transformer)\n", argv[1]);
    return 2;
}
