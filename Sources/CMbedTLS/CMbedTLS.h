// mbedTLS 2.28 (Debian 12), the headers edge-agent uses. Host: libmbedtls-dev; firmware:
// built from Debian's source package by Toolchain/build-deps.sh with the same include layout.
#include <mbedtls/version.h>
#include <mbedtls/error.h>
#include <mbedtls/sha256.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/ssl.h>
