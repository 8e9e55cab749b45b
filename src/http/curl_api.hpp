// libcurl, loaded when the first download starts instead of when sheaf
// starts. libcurl brings some 25 libraries of its own (gnutls, nettle, krb5,
// ldap, ssh2, ...) whose symbols the dynamic linker resolved for every
// command, about 40% of a short command's time; most commands never
// download (docs/decisions.md). The headers are libcurl's own, so types and
// option names are checked as before; only the calls go through pointers.
#pragma once

#include <curl/curl.h>

namespace sheaf::http {

struct CurlApi {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

// Loads libcurl (libcurl.so.4) and curl_global_init()s it, once. Throws an
// Error naming the library when it cannot be loaded.
const CurlApi& curl_api();

}  // namespace sheaf::http
