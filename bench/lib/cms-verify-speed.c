/*
 * OpenSSL's CMS_verify in a loop, the baseline for bench/verify.ts: what `openssl cms -verify` does for one
 * input (parse the DER, build and check the chain to the CA file, check the signature) without paying a
 * process start per verification. Usage: cms-verify-speed <cms.der> <ca.pem> <untrusted.pem|-> <seconds>
 * Prints {"verifyPerSec": n} or exits 1 with OpenSSL's error. Built by the bench with cc ... -lcrypto.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned char *slurp(const char *path, long *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(*len);
  if (fread(buf, 1, *len, f) != (size_t)*len) { fclose(f); return NULL; }
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: %s cms.der ca.pem untrusted.pem|- seconds\n", argv[0]); return 2; }
  long len = 0;
  unsigned char *der = slurp(argv[1], &len);
  if (!der) { fprintf(stderr, "cannot read %s\n", argv[1]); return 1; }
  X509_STORE *store = X509_STORE_new();
  if (X509_STORE_load_file(store, argv[2]) != 1) { ERR_print_errors_fp(stderr); return 1; }
  STACK_OF(X509) *untrusted = NULL;
  if (strcmp(argv[3], "-") != 0) {
    untrusted = sk_X509_new_null();
    BIO *b = BIO_new_file(argv[3], "r");
    X509 *x;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) sk_X509_push(untrusted, x);
    ERR_clear_error();
    BIO_free(b);
  }
  double seconds = atof(argv[4]);
  long n = 0;
  double start = now();
  while (now() - start < seconds) {
    const unsigned char *p = der;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, len);
    BIO *out = BIO_new(BIO_s_mem());
    if (!cms || CMS_verify(cms, untrusted, store, NULL, out, CMS_BINARY) != 1) { ERR_print_errors_fp(stderr); return 1; }
    BIO_free(out);
    CMS_ContentInfo_free(cms);
    n++;
  }
  printf("{\"verifyPerSec\": %.1f}\n", n / (now() - start));
  return 0;
}
