#include "repo/network.hpp"

#include <memory>

namespace sheaf::repo {

NetworkSettings network_settings(AptConfig apt) {
  NetworkSettings settings;
  settings.apt = std::move(apt);
  // The answers read a copy the settings share, so copying the settings
  // (or moving them) never leaves a callback reading a dead AptConfig.
  auto shared = std::make_shared<const AptConfig>(settings.apt);
  settings.http.proxy_for = [shared](std::string_view url) { return shared->proxy_for(url); };
  settings.http.credentials_for = [shared](std::string_view url) -> std::optional<http::Credentials> {
    if (const AuthEntry* auth = find_credentials(shared->auth, url))
      return http::Credentials{auth->login, auth->password};
    return std::nullopt;
  };
  return settings;
}

NetworkSettings host_network() {
  return network_settings(load_host_apt_config());
}

}  // namespace sheaf::repo
