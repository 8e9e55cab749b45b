#include "sign/in_toto.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.hpp"
#include "testing/errors.hpp"

namespace sheaf::sign {
namespace {

using ::testing::HasSubstr;
using testing::error_message_of;

const std::string kId = "sha256:" + std::string(64, 'a');

Provenance example() {
  Provenance p;
  p.package_id = kId;
  p.name = "hello";
  p.version = "2.10-3+sheaf1";
  p.arch = "amd64";
  p.key = "sha256:" + std::string(64, 'b');
  p.build_format = 2;
  p.recipe_file = "hello.toml";
  p.source_date_epoch = 1668365100;
  p.inputs = {{"recipe:hello.toml", "sha256:" + std::string(64, 'c'), "recipe"},
              {"debian:hello=2.10-3", "sha256:" + std::string(64, 'd'), "source"},
              {"libc6 2.36-9", "sha256:" + std::string(64, 'e'), "environment"}};
  p.builder_version = "0.9.0";
  p.started = 1700000000;
  p.finished = 1700000042;
  return p;
}

// The statement's bytes: canonical JSON, every field where a reader of the
// in-toto and SLSA layouts looks for it.
TEST(Provenance, RendersTheStatementAndReadsItBack) {
  std::string text = render_provenance(example());
  EXPECT_EQ(text,
            "{\"_type\":\"urn:sheaf:in-toto:statement:v1\",\"predicate\":{\"buildDefinition\":{\"buildType\":\"urn:"
            "sheaf:recipe-build:2\",\"externalParameters\":{\"package\":{\"arch\":\"amd64\",\"name\":\"hello\","
            "\"version\":\"2.10-3+sheaf1\"},\"recipe\":\"hello.toml\"},\"internalParameters\":{\"key\":\"sha256:" +
                std::string(64, 'b') +
                "\",\"sourceDateEpoch\":1668365100},\"resolvedDependencies\":[{\"annotations\":{\"role\":\"recipe\"},"
                "\"digest\":{\"sha256\":\"" +
                std::string(64, 'c') +
                "\"},\"name\":\"recipe:hello.toml\"},{\"annotations\":{\"role\":\"source\"},\"digest\":{\"sha256\":\"" +
                std::string(64, 'd') +
                "\"},\"name\":\"debian:hello=2.10-3\"},{\"annotations\":{\"role\":\"environment\"},\"digest\":{"
                "\"sha256\":\"" +
                std::string(64, 'e') +
                "\"},\"name\":\"libc6 2.36-9\"}]},\"runDetails\":{\"builder\":{\"id\":\"urn:sheaf:builder\","
                "\"version\":{\"sheaf\":\"0.9.0\"}},\"metadata\":{\"finishedOn\":\"2023-11-14T22:14:02Z\","
                "\"invocationId\":\"sha256:" +
                std::string(64, 'b') +
                "\",\"startedOn\":\"2023-11-14T22:13:20Z\"}}},\"predicateType\":\"urn:sheaf:slsa:provenance:v1\","
                "\"subject\":[{\"digest\":{\"sha256\":\"" +
                std::string(64, 'a') + "\"},\"name\":\"hello_2.10-3+sheaf1_amd64\"}]}");
  Provenance back = parse_provenance(text, "p");
  EXPECT_EQ(render_provenance(back), text);
  EXPECT_EQ(back.package_id, kId);
  ASSERT_EQ(back.inputs.size(), 3u);
  EXPECT_EQ(back.inputs[1].name, "debian:hello=2.10-3");
  EXPECT_EQ(back.inputs[1].role, "source");
  EXPECT_EQ(back.build_format, 2);
  EXPECT_EQ(back.finished, 1700000042);
}

TEST(Provenance, RefusesWhatIsNotAProvenanceStatement) {
  std::string text = render_provenance(example());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    t.replace(t.find(from), from.size(), to);
    return error_message_of([&] { parse_provenance(t, "stored"); });
  };
  EXPECT_THAT(error_message_of([] { parse_provenance("[]", "stored"); }), HasSubstr("stored: is not a JSON object"));
  EXPECT_THAT(error_message_of([] { parse_provenance("{", "stored"); }), HasSubstr("stored: is not JSON"));
  EXPECT_THAT(with("urn:sheaf:slsa:provenance:v1", "urn:x"), HasSubstr("has the predicate type 'urn:x'"));
  EXPECT_THAT(with("urn:sheaf:in-toto:statement:v1", "urn:y"), HasSubstr("is not a statement of type"));
  EXPECT_THAT(with("recipe-build:2", "docker-build:2"), HasSubstr("not a recipe build"));
  EXPECT_THAT(with("\"sourceDateEpoch\":1668365100", "\"sourceDateEpoch\":\"x\""),
              HasSubstr("sourceDateEpoch is not an integer"));
  EXPECT_THAT(with(std::string(64, 'a'), "abc"), HasSubstr("the subject's sha256 is not 64 lowercase hex digits"));
}

TEST(RebuildAttestation, RoundTripsAndNamesItsSubject) {
  RebuildAttestation a{kId, "hello", "2.10-3+sheaf1", "amd64", "sha256:" + std::string(64, 'b'), "0.9.0"};
  std::string text = render_rebuild_attestation(a);
  RebuildAttestation back = parse_rebuild_attestation(text, "a");
  EXPECT_EQ(render_rebuild_attestation(back), text);
  EXPECT_EQ(back.package_id, kId);
  std::string other = text;
  other.replace(other.find("\"id\":\"sha256:aaaa"), 18, "\"id\":\"sha256:ffff");
  EXPECT_THAT(error_message_of([&] { parse_rebuild_attestation(other, "a"); }),
              HasSubstr("names another package than its subject"));
  EXPECT_THAT(error_message_of([&] { parse_rebuild_attestation(render_provenance(example()), "a"); }),
              HasSubstr("has the predicate type"));
}

}  // namespace
}  // namespace sheaf::sign
