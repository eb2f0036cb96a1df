/*
 * The OpenSSL GOST engine's GOST R 34.10-2012 (512-bit, paramSetA) sign and verify rates with
 * Streebog-512, measured in one process: `openssl speed` has no GOST signature test and one `openssl`
 * process per signature would measure process start-up instead. Built by bench/gost.ts with
 * `cc -O2 … -lcrypto` against Debian's libssl-dev; prints one JSON line.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/engine.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int fail(const char *what) {
  fprintf(stderr, "gost-engine-speed: %s failed\n", what);
  return 1;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 2.0;
  ENGINE *e = ENGINE_by_id("gost");
  if (!e || !ENGINE_init(e)) return fail("loading the gost engine");
  ENGINE_set_default(e, ENGINE_METHOD_ALL);

  EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(NID_id_GostR3410_2012_512, e);
  EVP_PKEY *key = NULL;
  if (!kctx || EVP_PKEY_keygen_init(kctx) <= 0 || EVP_PKEY_CTX_ctrl_str(kctx, "paramset", "A") <= 0 || EVP_PKEY_keygen(kctx, &key) <= 0)
    return fail("key generation");
  const EVP_MD *md = EVP_get_digestbyname("md_gost12_512");
  if (!md) return fail("finding md_gost12_512");

  unsigned char msg[1024];
  memset(msg, 0x5a, sizeof msg);
  unsigned char sig[256];
  size_t siglen = 0;

  long signs = 0;
  double start = now(), end = start + seconds;
  while (now() < end) {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    siglen = sizeof sig;
    if (EVP_DigestSignInit(c, NULL, md, e, key) <= 0 || EVP_DigestSign(c, sig, &siglen, msg, sizeof msg) <= 0) return fail("signing");
    EVP_MD_CTX_free(c);
    signs++;
  }
  double signSeconds = now() - start;

  long verifies = 0;
  start = now();
  end = start + seconds;
  while (now() < end) {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (EVP_DigestVerifyInit(c, NULL, md, e, key) <= 0 || EVP_DigestVerify(c, sig, siglen, msg, sizeof msg) != 1) return fail("verifying");
    EVP_MD_CTX_free(c);
    verifies++;
  }
  double verifySeconds = now() - start;

  printf("{\"signPerSec\":%.1f,\"verifyPerSec\":%.1f,\"signatureBytes\":%zu}\n", signs / signSeconds, verifies / verifySeconds, siglen);
  EVP_PKEY_free(key);
  EVP_PKEY_CTX_free(kctx);
  ENGINE_finish(e);
  ENGINE_free(e);
  return 0;
}
