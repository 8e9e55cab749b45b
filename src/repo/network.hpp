// What reaching a Debian repository takes: apt's sources, proxy and
// credentials, and the transfer settings built from them.
#pragma once

#include "http/downloader.hpp"
#include "repo/apt_config.hpp"

namespace sheaf::repo {

struct NetworkSettings {
  AptConfig apt;        // the host's sources (for suites without a mirror), proxy and auth.conf
  http::Settings http;  // retries and timeouts; proxy and credentials per URL, from `apt`
};

// `apt` with transfers that use its proxy and credentials: apt's proxy
// setting wins, and without one libcurl reads http_proxy and https_proxy
// from the environment, as apt does.
NetworkSettings network_settings(AptConfig apt);

// network_settings(load_host_apt_config()): the network as apt on this host
// has it.
NetworkSettings host_network();

}  // namespace sheaf::repo
