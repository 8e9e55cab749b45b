#include "run/runtime_config.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sheaf::run {
namespace {

using nlohmann::json;

TEST(RuntimeConfig, RendersTheProcessRootAndMountsAsTheRuntimeSpecSpellsThem) {
  RuntimeConfig c = default_runtime_config(/*host_network=*/false);
  c.uid = 33;
  c.gid = 4;
  c.args = {"/usr/sbin/nginx", "-t"};
  c.env = {"HOME=/var/www"};
  c.cwd = "/tmp";
  c.hostname = "sheaf";
  c.read_only = true;
  c.rlimits = {{"RLIMIT_NOFILE", 1024, 4096}};
  c.mounts.push_back({"/data", "bind", "/srv/data", {"rbind", "ro"}});
  json doc = json::parse(render(c));
  EXPECT_EQ(doc["ociVersion"], "1.0.2");
  EXPECT_EQ(doc["process"]["user"], (json{{"uid", 33}, {"gid", 4}}));
  EXPECT_EQ(doc["process"]["args"], (json{"/usr/sbin/nginx", "-t"}));
  EXPECT_EQ(doc["process"]["cwd"], "/tmp");
  EXPECT_EQ(doc["process"]["noNewPrivileges"], true);
  EXPECT_EQ(doc["process"]["rlimits"], (json::array({{{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 4096}}})));
  EXPECT_EQ(doc["process"]["capabilities"]["bounding"], doc["process"]["capabilities"]["effective"]);
  EXPECT_EQ(doc["root"], (json{{"path", "rootfs"}, {"readonly", true}}));
  EXPECT_EQ(doc["hostname"], "sheaf");
  EXPECT_EQ(doc["mounts"].front(), (json{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}}));
  EXPECT_EQ(doc["mounts"].back(),
            (json{{"destination", "/data"}, {"type", "bind"}, {"source", "/srv/data"}, {"options", {"rbind", "ro"}}}));
  EXPECT_EQ(doc["linux"]["namespaces"].back(), (json{{"type", "network"}}));
}

TEST(RuntimeConfig, TheHostNetworkHasNoNetworkNamespace) {
  for (const auto& n : default_runtime_config(/*host_network=*/true).namespaces) EXPECT_NE(n, "network");
  auto none = default_runtime_config(/*host_network=*/false).namespaces;
  EXPECT_NE(std::find(none.begin(), none.end(), "network"), none.end());
}

}  // namespace
}  // namespace sheaf::run
