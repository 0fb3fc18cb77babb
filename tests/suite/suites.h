/* The CUnit suites of nnsimd-test; each file registers its own. */
#ifndef NNS_SUITES_H
#define NNS_SUITES_H

#include <CUnit/CUnit.h>

/* Each returns 0 or a CUnit error code. */
int register_verify_suites(void);
int register_dispatch_suite(void);
int register_api_suite(void);
int register_checker_suite(void);
int register_fixtures_activation_suite(void);
int register_api_linear_suite(void);
int register_fixtures_linear_suite(void);
int register_safetensors_suite(void);
int register_mlp_suite(void);
int register_api_embedding_elementwise_suite(void);
int register_fixtures_embedding_elementwise_suite(void);
int register_mnist_suite(void);
int register_api_attention_suite(void);
int register_fixtures_attention_suite(void);
int register_api_loss_optim_suite(void);
int register_fixtures_loss_optim_suite(void);
int register_imdb_suite(void);
int register_transformer_suite(void);

/* Marks `test` inactive (CUnit 2.1-3 has no "skipped") and says why. */
void skip_test(CU_pTest test, const char *suite, const char *why);

#endif
