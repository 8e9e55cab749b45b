#include "http/curl_api.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include "base/error.hpp"

namespace sheaf::http {

namespace {

constexpr const char* kLibrary = "libcurl.so.4";

template <typename F>
void bind(void* handle, F& to, const char* name) {
  void* symbol = ::dlsym(handle, name);
  if (!symbol) fail("{} has no {}: {}", kLibrary, name, ::dlerror());
  to = reinterpret_cast<F>(symbol);
}

CurlApi load() {
  void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (!handle) fail("cannot load {} (apt-get install libcurl4): {}", kLibrary, ::dlerror());
  CurlApi api{};
  bind(handle, api.global_init, "curl_global_init");
  bind(handle, api.easy_init, "curl_easy_init");
  bind(handle, api.easy_setopt, "curl_easy_setopt");
  bind(handle, api.easy_perform, "curl_easy_perform");
  bind(handle, api.easy_getinfo, "curl_easy_getinfo");
  bind(handle, api.easy_reset, "curl_easy_reset");
  bind(handle, api.easy_cleanup, "curl_easy_cleanup");
  bind(handle, api.easy_strerror, "curl_easy_strerror");
  bind(handle, api.slist_append, "curl_slist_append");
  bind(handle, api.slist_free_all, "curl_slist_free_all");
  if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) fail("cannot initialise libcurl");
  return api;  // the library stays loaded for the life of the process
}

}  // namespace

const CurlApi& curl_api() {
  static const CurlApi api = load();
  return api;
}

}  // namespace sheaf::http
