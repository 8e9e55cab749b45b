#include "spec/trim.hpp"

#include <gtest/gtest.h>

#include "testing/errors.hpp"

namespace sheaf::spec {
namespace {

TrimSpec parse_workloads(std::string_view text) {
  return parse_trim_spec(text, "/work/w.toml");
}

std::string workloads_error_of(std::string_view text) {
  return testing::error_message_of([&] { parse_workloads(text); });
}

TEST(TrimSpec, ReadsCommandAndServerWorkloadsAndKeepGlobs) {
  TrimSpec t = parse_workloads(R"(keep = ["/etc/ssl/**", "usr/share/zoneinfo/UTC"]

[[workload]]
args = ["/app/check.py"]
env = ["LANG=C.UTF-8"]
timeout = 30

[[workload]]
name = "serve"
ready = ["curl", "-fsS", "http://127.0.0.1:8080/"]
probes = [["curl", "-fsS", "http://127.0.0.1:8080/index.html"]]
stop_signal = "SIGQUIT"
)");
  EXPECT_EQ(t.keep, (std::vector<std::string>{"etc/ssl/**", "usr/share/zoneinfo/UTC"}));
  ASSERT_EQ(t.workloads.size(), 2u);
  const Workload& script = t.workloads[0];
  EXPECT_EQ(script.name, "workload 1");
  EXPECT_EQ(script.args, (std::vector<std::string>{"/app/check.py"}));
  EXPECT_FALSE(script.entrypoint);
  EXPECT_EQ(script.timeout, 30u);
  EXPECT_FALSE(script.server());
  EXPECT_FALSE(script.uses_host_network());
  const Workload& serve = t.workloads[1];
  EXPECT_TRUE(serve.server());
  EXPECT_TRUE(serve.uses_host_network());
  EXPECT_EQ(serve.probes.size(), 1u);
  EXPECT_EQ(serve.stop_signal, "SIGQUIT");
  EXPECT_EQ(serve.ready_timeout, 30u);
}

TEST(TrimSpec, TheSpecsTrimSectionTakesTheSameKeys) {
  Spec spec = Spec::parse(R"([image]
entrypoint = ["/usr/bin/python3"]

[trim]
keep = ["etc/**"]

[[trim.workload]]
name = "check"
)",
                          "/work/sheaf.toml");
  ASSERT_TRUE(spec.trim);
  EXPECT_EQ(spec.trim->keep, (std::vector<std::string>{"etc/**"}));
  ASSERT_EQ(spec.trim->workloads.size(), 1u);
  EXPECT_EQ(spec.trim->workloads[0].name, "check");
}

TEST(TrimSpec, BadInputIsRefusedAtItsPosition) {
  struct Case {
    std::string_view text;
    std::string_view error;
  };
  for (const auto& c : {
           Case{"[[workload]]\nargz = [\"x\"]\n",
                "/work/w.toml:2:1: unknown key 'argz' in [[workload]]; did you mean 'args'?"},
           Case{"keep = [\"etc\"]\n", "has no [[workload]]: nothing to trace"},
           Case{"[[workload]]\nready = []\n", "/work/w.toml:2:9: ready names no program"},
           Case{"[[workload]]\nprobes = [[\"curl\"]]\n",
                "/work/w.toml:2:10: probes is for a server workload, which needs ready"},
           Case{"[[workload]]\nready = [\"true\"]\nstop_signal = \"QUIT\"\n",
                "/work/w.toml:3:15: stop_signal 'QUIT' must be a signal"},
           Case{"[[workload]]\ntimeout = 0\n", "/work/w.toml:2:11: timeout must be at least 1 second"},
           Case{"[[workload]]\nname = \"a\"\n[[workload]]\nname = \"a\"\n",
                "/work/w.toml:3:1: two workloads are named 'a'"},
           Case{"keep = [\"../etc\"]\n[[workload]]\n", "/work/w.toml:1:9:"},
           Case{"[[workload]]\nenv = [\"NOVALUE\"]\n", "/work/w.toml:2:8: env entry 'NOVALUE' must be KEY=VALUE"},
           Case{"[[workload]]\nnetwork = \"bridge\"\n", "/work/w.toml:2:11: network must be \"host\" or \"none\""},
       }) {
    std::string error = workloads_error_of(c.text);
    EXPECT_NE(error.find(c.error), std::string::npos) << c.text << "\n  gave: " << error;
  }
}

}  // namespace
}  // namespace sheaf::spec
