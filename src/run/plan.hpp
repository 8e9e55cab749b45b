// What a container runs, decided as data: its command, environment, user,
// working directory and mounts, from the image's config, the request and the
// image's own /etc/passwd and /etc/group. Nothing here touches the system,
// so it is tested without root; run_container (run/container.hpp) reads the
// image's files, calls these, and hands the result to the runtime as a
// RuntimeConfig (run/runtime_config.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/documents.hpp"
#include "run/runtime_config.hpp"

namespace sheaf::run {

// The host name every container gets, in /etc/hostname, /etc/hosts and $HOSTNAME.
inline constexpr std::string_view kHostname = "sheaf";

struct Identity {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string home = "/";
};

// NAME, UID, NAME:GROUP or UID:GID, looked up in the image's passwd and group
// (their texts); "" is root, at home in /root. A numeric user missing from
// passwd runs with that uid and gid. Throws an Error naming the account for
// a name missing from the image, or a passwd or group line whose id is not a
// number.
Identity resolve_user(std::string_view spec, std::string_view passwd, std::string_view group);

// The command: `entrypoint` replaces the image's entrypoint, `cmd` its cmd
// (keeping its entrypoint). Throws an Error when nothing is left to run.
std::vector<std::string> container_args(const oci::RuntimeConfig& image, const std::optional<std::string>& entrypoint,
                                        const std::optional<std::vector<std::string>>& cmd);

// The environment, sorted: the image's, then HOME and HOSTNAME unless it sets
// them, then the request's KEY=VALUE (a KEY alone takes sheaf's own value,
// `lookup(KEY)`, and is left out when sheaf has none).
std::vector<std::string> container_env(const std::vector<std::string>& image_env,
                                       const std::vector<std::string>& requested, const std::string& home,
                                       const std::function<std::optional<std::string>(const std::string&)>& lookup);

// -v SRC:DST[:ro|:rw] as a bind mount, SRC made absolute. Throws a usage
// Error naming the option for a malformed one, or a SRC that does not exist.
Mount parse_volume(const std::string& text);

// Whether `program` lies under a volume's destination: the runtime finds it
// there, so it is not looked for in the image.
bool under_volume(const std::string& program, const std::vector<Mount>& volumes);

// /etc/hosts of a container whose host name is kHostname.
std::string hosts_file();

}  // namespace sheaf::run
