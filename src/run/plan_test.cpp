#include "run/plan.hpp"

#include <gtest/gtest.h>

#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::run {
namespace {

using testing::error_message_of;

constexpr std::string_view kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
constexpr std::string_view kGroup = "root:x:0:\nadm:x:4:\nwww-data:x:33:\n";

TEST(ResolveUser, FindsUsersByNameOrNumberAndDefaultsToRoot) {
  struct Case {
    std::string_view spec;
    Identity expected;
  };
  // A number missing from passwd runs as that uid and gid, at home in "/".
  for (const auto& [spec, expected] :
       {Case{"", {0, 0, "/root"}}, Case{"www-data", {33, 33, "/var/www"}},
        Case{"65534", {65534, 65534, "/nonexistent"}}, Case{"1234", {1234, 1234, "/"}}}) {
    Identity id = resolve_user(spec, kPasswd, kGroup);
    EXPECT_EQ(std::tie(id.uid, id.gid, id.home), std::tie(expected.uid, expected.gid, expected.home)) << spec;
  }
}

TEST(ResolveUser, TakesTheGroupByNameOrNumber) {
  EXPECT_EQ(resolve_user("www-data:adm", kPasswd, kGroup).gid, 4u);
  EXPECT_EQ(resolve_user("www-data:77", kPasswd, kGroup).gid, 77u);
  EXPECT_EQ(resolve_user("0:www-data", kPasswd, kGroup).gid, 33u);
}

TEST(ResolveUser, NamesWhatTheImageLacks) {
  EXPECT_EQ(error_message_of([] { resolve_user("nosuchuser", kPasswd, kGroup); }),
            "user 'nosuchuser' is not in the image's /etc/passwd");
  EXPECT_EQ(error_message_of([] { resolve_user("root:nosuchgroup", kPasswd, kGroup); }),
            "group 'nosuchgroup' is not in the image's /etc/group");
}

// A passwd line whose uid is not a number was an uncaught exception (exit 3
// instead of sheaf run's 125); now it is an Error naming the line.
TEST(ResolveUser, ABadIdInPasswdOrGroupIsAnErrorNamingTheLine) {
  std::string passwd = std::string(kPasswd) + "broken:x:abc:33::/:/bin/sh\n";
  EXPECT_EQ(error_message_of([&] { resolve_user("broken", passwd, kGroup); }),
            "the image's /etc/passwd line 4 has 'abc' where a number belongs");
  std::string passwd_big = std::string(kPasswd) + "big:x:99999999999:33::/:/bin/sh\n";
  EXPECT_EQ(error_message_of([&] { resolve_user("big", passwd_big, kGroup); }),
            "the image's /etc/passwd line 4 has '99999999999' where a number belongs");
  std::string group = std::string(kGroup) + "odd:x:-1:\n";
  EXPECT_EQ(error_message_of([&] { resolve_user("root:odd", kPasswd, group); }),
            "the image's /etc/group line 4 has '-1' where a number belongs");
}

TEST(ContainerArgs, EntrypointAndCmdReplaceTheImagesSeparately) {
  oci::RuntimeConfig image;
  image.entrypoint = {"/usr/bin/python3"};
  image.cmd = {"-V"};
  using Args = std::vector<std::string>;
  EXPECT_EQ(container_args(image, std::nullopt, std::nullopt), (Args{"/usr/bin/python3", "-V"}));
  EXPECT_EQ(container_args(image, std::nullopt, Args{"-c", "1"}), (Args{"/usr/bin/python3", "-c", "1"}));
  EXPECT_EQ(container_args(image, std::string("/bin/sh"), std::nullopt), (Args{"/bin/sh", "-V"}));
  EXPECT_EQ(container_args(image, std::string("/bin/sh"), Args{}), (Args{"/bin/sh"}));
  EXPECT_EQ(error_message_of([] { container_args({}, std::nullopt, std::nullopt); }),
            "the image has no entrypoint or cmd; give a command after --");
}

TEST(ContainerEnv, TheRequestOverridesTheImageAndHomeAndHostnameAreDefaults) {
  auto lookup = [](const std::string& key) -> std::optional<std::string> {
    if (key == "FROM_HOST") return "host value";
    return std::nullopt;
  };
  auto env = container_env({"PATH=/usr/bin", "HOME=/image-home", "LANG=C.UTF-8"},
                           {"LANG=en_US.UTF-8", "FROM_HOST", "NOT_ON_HOST", "EMPTY="}, "/root", lookup);
  EXPECT_EQ(env, (std::vector<std::string>{"EMPTY=", "FROM_HOST=host value", "HOME=/image-home", "HOSTNAME=sheaf",
                                           "LANG=en_US.UTF-8", "PATH=/usr/bin"}));
  auto defaults = container_env({}, {}, "/var/www", lookup);
  EXPECT_EQ(defaults, (std::vector<std::string>{"HOME=/var/www", "HOSTNAME=sheaf"}));
}

TEST(ParseVolume, ABindMountReadWriteUnlessRo) {
  testing::TempDir dir;
  Mount rw = parse_volume(dir.path().string() + ":/data");
  EXPECT_EQ(rw, (Mount{"/data", "bind", dir.path().string(), {"rbind", "rw"}}));
  Mount ro = parse_volume(dir.path().string() + ":/data:ro");
  EXPECT_EQ(ro.options, (std::vector<std::string>{"rbind", "ro"}));
}

TEST(ParseVolume, RefusesWhatItCannotMount) {
  testing::TempDir dir;
  std::string src = dir.path().string();
  EXPECT_EQ(error_message_of([&] { parse_volume(src); }), "-v '" + src + "': expected SRC:DST or SRC:DST:ro");
  EXPECT_EQ(error_message_of([&] { parse_volume(src + ":/data:rx"); }),
            "-v '" + src + ":/data:rx': expected SRC:DST or SRC:DST:ro");
  EXPECT_EQ(error_message_of([&] { parse_volume(src + ":data"); }),
            "-v '" + src + ":data': the destination must be absolute");
  EXPECT_EQ(error_message_of([&] { parse_volume(src + "/missing:/data"); }),
            "-v '" + src + "/missing:/data': '" + src + "/missing' does not exist");
}

TEST(UnderVolume, OnlyTheDestinationAndWhatIsBelowIt) {
  std::vector<Mount> volumes{{"/opt/tool", "bind", "/x", {}}};
  EXPECT_TRUE(under_volume("/opt/tool", volumes));
  EXPECT_TRUE(under_volume("/opt/tool/bin/run", volumes));
  EXPECT_FALSE(under_volume("/opt/toolbox/run", volumes));
  EXPECT_FALSE(under_volume("/usr/bin/python3", volumes));
}

}  // namespace
}  // namespace sheaf::run
