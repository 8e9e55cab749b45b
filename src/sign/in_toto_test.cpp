#include "sign/in_toto.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "base/error.hpp"
#include "base/fs.hpp"
#include "sign/dsse.hpp"
#include "sign/keys.hpp"
#include "sign/package_policy.hpp"
#include "testing/errors.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::sign {
namespace {

using testing::error_message_of;
using ::testing::HasSubstr;

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

// The package policy counts rebuild attestations by the scope's rebuilders:
// two attestations by two keys meet "rebuilds = 2" and miss "rebuilds = 3";
// signatures, provenance and attestations of another package count for
// nothing.
TEST(RebuildAttestation, ThePolicyCountsDistinctRebuildersOfThisPackage) {
  testing::TempDir dir;
  std::vector<PrivateKey> keys;
  for (const char* name : {"a", "b", "c"}) {
    keys.push_back(PrivateKey::generate(KeyAlgorithm::ecdsa_p256));
    write_file_atomically(dir / (std::string(name) + ".pub"), keys.back().public_key().pem());
  }
  PackageStatement package{kId, "hello", "2.10-3+sheaf1", "amd64"};
  RebuildAttestation attestation{kId, "hello", "2.10-3+sheaf1", "amd64", "sha256:" + std::string(64, 'b'), "0.9.0"};
  auto attest = [&](const PrivateKey& key, const RebuildAttestation& a) {
    return sign_envelope(kInTotoPayloadType, render_rebuild_attestation(a), key);
  };
  RebuildAttestation other = attestation;
  other.package_id = "sha256:" + std::string(64, 'f');
  std::vector<Envelope> envelopes{
      attest(keys[0], attestation),
      attest(keys[1], attestation),
      attest(keys[1], attestation),                                              // the same key twice counts once
      attest(keys[2], other),                                                    // another package
      sign_package(package, keys[2]),                                            // a signature, not a rebuild
      sign_envelope(kInTotoPayloadType, render_provenance(example()), keys[2]),  // provenance
  };
  EXPECT_EQ(envelope_kind(envelopes[0]), EnvelopeKind::rebuild_attestation);
  EXPECT_EQ(envelope_kind(envelopes[4]), EnvelopeKind::package_signature);
  EXPECT_EQ(envelope_kind(envelopes[5]), EnvelopeKind::provenance);

  auto policy = [&](const std::string& text) { return parse_package_policy(text, dir / "policy.toml"); };
  PackagePolicy two = policy(
      "[[scope]]\nprefix = \"*\"\nkeys = []\nrebuilders = [\"a.pub\", \"b.pub\", \"c.pub\"]\n"
      "rebuilds = 2\n");
  PackageCheck check = check_package(two.scopes[0], package, envelopes);
  EXPECT_TRUE(check.accepted);
  EXPECT_EQ(check.rebuilt_by, (std::vector<std::string>{(dir / "a.pub").string(), (dir / "b.pub").string()}));
  EXPECT_EQ(check.rebuild_missing, std::vector<std::string>{(dir / "c.pub").string()});
  PackagePolicy three =
      policy("[[scope]]\nprefix = \"*\"\nkeys = []\nrebuilders = [\"a.pub\", \"b.pub\", \"c.pub\"]\n");
  EXPECT_EQ(three.scopes[0].rebuilds, 3u);  // default: all of them
  EXPECT_FALSE(check_package(three.scopes[0], package, envelopes).accepted);
  // Signatures and rebuilds together: both must hold.
  PackagePolicy both = policy("[[scope]]\nprefix = \"*\"\nkeys = [\"a.pub\"]\nrebuilders = [\"a.pub\", \"b.pub\"]\n");
  EXPECT_FALSE(check_package(both.scopes[0], package, envelopes).accepted);  // a signed no package statement
  envelopes.push_back(sign_package(package, keys[0]));
  EXPECT_TRUE(check_package(both.scopes[0], package, envelopes).accepted);

  EXPECT_THAT(
      error_message_of([&] { policy("[[scope]]\nprefix = \"*\"\nkeys = []\nrebuilds = 1\n"); }),
      HasSubstr("policy.toml:4:12: rebuilds counts attestations by the keys of rebuilders, and there are none"));
  EXPECT_THAT(error_message_of(
                  [&] { policy("[[scope]]\nprefix = \"*\"\nkeys = []\nrebuilders = [\"a.pub\"]\nrebuilds = 2\n"); }),
              HasSubstr("rebuilds"));
  EXPECT_THAT(error_message_of([&] { policy("[[scope]]\nprefix = \"*\"\nkeys = []\nrebuilder = [\"a.pub\"]\n"); }),
              HasSubstr("did you mean 'rebuilders'?"));
}

}  // namespace
}  // namespace sheaf::sign
