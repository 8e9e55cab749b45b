// The sign module on its own: the payload's strict reading, policy.json's
// parsing, scopes and identity rules, registries.d lookups and armored keys.
// The gpg and gpgv round trips run in src/cli/signing_test.cpp against
// skopeo and podman.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/base64.hpp"
#include "base/error.hpp"
#include "sign/gpg.hpp"
#include "sign/payload.hpp"
#include "sign/policy.hpp"
#include "sign/registries_d.hpp"
#include "testing/command.hpp"
#include "testing/temp_dir.hpp"

namespace sheaf::sign {
namespace {

namespace fs = std::filesystem;

const Digest kDigest = *Digest::parse("sha256:" + std::string(64, 'a'));

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Payload, RendersAsContainersImageDoesAndReadsItBack) {
  Payload p{kDigest, "127.0.0.1:5000/app:1", "sheaf 0.1.0", 1700000000};
  const std::string text = render_payload(p);
  EXPECT_EQ(text,
            "{\"critical\":{\"identity\":{\"docker-reference\":\"127.0.0.1:5000/app:1\"},\"image\":{\"docker-manifest-"
            "digest\":\"sha256:" + std::string(64, 'a') +
                "\"},\"type\":\"atomic container signature\"},\"optional\":{\"creator\":\"sheaf 0.1.0\","
                "\"timestamp\":1700000000}}");
  Payload back = parse_payload(text, "p");
  EXPECT_EQ(back.manifest, kDigest);
  EXPECT_EQ(back.docker_reference, "127.0.0.1:5000/app:1");
  EXPECT_EQ(back.creator, "sheaf 0.1.0");
  EXPECT_EQ(back.timestamp, 1700000000);
}

TEST(Payload, RefusesWhatContainersImageRefuses) {
  const std::string digest = "\"sha256:" + std::string(64, 'a') + "\"";
  auto with = [&](const std::string& critical, const std::string& optional = "{}") {
    return "{\"critical\":" + critical + ",\"optional\":" + optional + "}";
  };
  const std::string good_image = "{\"docker-manifest-digest\":" + digest + "}";
  const std::string good_identity = "{\"docker-reference\":\"h/r:1\"}";
  struct Case {
    std::string text, says;
  };
  for (const Case& c : {
           Case{"[]", "not a JSON object"},
           Case{"{\"critical\":{}}", "lacks \"type\""},
           Case{with("{\"type\":\"something else\",\"image\":" + good_image + ",\"identity\":" + good_identity + "}"),
                "not \"atomic container signature\""},
           Case{with("{\"type\":\"atomic container signature\",\"image\":" + good_image + ",\"identity\":" +
                     good_identity + ",\"extra\":1}"),
                "unknown field \"extra\""},
           Case{with("{\"type\":\"atomic container signature\",\"image\":{\"docker-manifest-digest\":\"md5:x\"},"
                     "\"identity\":" + good_identity + "}"),
                "not a sha256 digest"},
           Case{"{\"critical\":{\"type\":\"atomic container signature\",\"image\":" + good_image + ",\"identity\":" +
                    good_identity + "}}",
                "\"optional\" is missing"},
           Case{with("{\"type\":\"atomic container signature\",\"image\":" + good_image + ",\"identity\":" +
                         good_identity + "}",
                     "{\"timestamp\":\"yesterday\"}"),
                "timestamp is not an integer"},
       }) {
    EXPECT_TRUE(testing::contains(error_of([&] { parse_payload(c.text, "sig"); }), c.says)) << c.text;
  }
}

Policy policy_of(const std::string& text) { return parse_policy(text, "/etc/test/policy.json"); }

TEST(Policy, NamesTheFileLineAndColumnOfASyntaxError) {
  std::string e = error_of([] { policy_of("{\n  \"default\": [\n    {\"type\": \"reject\"},,\n  ]\n}\n"); });
  EXPECT_TRUE(testing::contains(e, "/etc/test/policy.json:3:")) << e;
}

TEST(Policy, NamesThePlaceOfEachMistake) {
  struct Case {
    std::string text, says;
  };
  for (const Case& c : {
           Case{R"({"transports": {}})", "at the top: \"default\" is missing"},
           Case{R"({"default": []})", "at default: a list of requirements must not be empty"},
           Case{R"({"default": [{"type": "reject"}], "extra": 1})", "at the top: unknown field \"extra\""},
           Case{R"({"default": [{"type": "reject", "keyPath": "/k"}]})", "at default[0]: unknown field \"keyPath\""},
           Case{R"({"default": [{"type": "signedBy", "keyType": "GPGKeys"}]})",
                "at default[0]: signedBy needs keyPath, keyPaths or keyData"},
           Case{R"({"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/a", "keyData": "AA=="}]})",
                "takes only one of keyPath, keyPaths and keyData"},
           Case{R"({"default": [{"type": "signedBy", "keyType": "Rot13", "keyPath": "/a"}]})", "unknown keyType \"Rot13\""},
           Case{R"({"default": [{"type": "reject"}], "transports": {"docker": {"h:1/a": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/a", "signedIdentity": {"type": "exactReference", "dockerReference": "h:1/a"}}]}}})",
                "at transports.docker[\"h:1/a\"][0].signedIdentity: dockerReference \"h:1/a\" must name a tag or a digest"},
           Case{R"({"default": [{"type": "reject"}], "transports": {"docker": {"docker://h/a": [{"type": "reject"}]}}})",
                "written without docker://"},
       }) {
    std::string e = error_of([&] { policy_of(c.text); });
    EXPECT_TRUE(testing::contains(e, "/etc/test/policy.json: at ")) << e;
    EXPECT_TRUE(testing::contains(e, c.says)) << c.text << "\n" << e;
  }
}

TEST(Policy, TriesScopesFromTheReferenceDownToTheHostAndWildcards) {
  EXPECT_EQ(scope_candidates("docker", "reg.example.test:5000/team/app:1"),
            (std::vector<std::string>{"reg.example.test:5000/team/app:1", "reg.example.test:5000/team/app",
                                      "reg.example.test:5000/team", "reg.example.test:5000", "*.example.test:5000",
                                      "*.test:5000"}));
  EXPECT_EQ(scope_candidates("sheaf", "team/app:1"), (std::vector<std::string>{"team/app:1", "team/app", "team"}));
  EXPECT_TRUE(scope_candidates("sheaf", "").empty());
}

TEST(Policy, TheMostSpecificScopeDecides) {
  Policy p = policy_of(R"({
    "default": [{"type": "reject"}],
    "transports": {
      "docker": {
        "": [{"type": "reject"}],
        "h:1/team": [{"type": "insecureAcceptAnything"}],
        "h:1/team/secret": [{"type": "reject"}]
      },
      "sheaf": {"": [{"type": "insecureAcceptAnything"}]}
    }})");
  auto decide = [&](const std::string& transport, const std::string& identity) {
    return evaluate(p, Subject{transport, identity, identity, kDigest, {}, ""});
  };
  EXPECT_TRUE(decide("docker", "h:1/team/app:1").accepted);
  EXPECT_EQ(decide("docker", "h:1/team/app:1").scope, "transports.docker[\"h:1/team\"]");
  Decision secret = decide("docker", "h:1/team/secret:1");
  EXPECT_FALSE(secret.accepted);
  EXPECT_EQ(secret.scope, "transports.docker[\"h:1/team/secret\"]");
  EXPECT_TRUE(testing::contains(secret.reason, "reject")) << secret.reason;
  EXPECT_EQ(decide("docker", "other:1/app:1").scope, "transports.docker[\"\"]");
  EXPECT_TRUE(decide("sheaf", "").accepted);
  EXPECT_EQ(decide("oci", "x").scope, "default");
}

TEST(Policy, ASigstoreRequirementIsRefusedWhereItApplies) {
  Policy p = policy_of(R"({"default": [{"type": "insecureAcceptAnything"}],
    "transports": {"docker": {"h:1/signed": [{"type": "sigstoreSigned", "keyPath": "/k.pub"}]}}})");
  EXPECT_TRUE(evaluate(p, Subject{"docker", "h:1/other:1", "x", kDigest, {}, ""}).accepted);
  std::string e = error_of([&] { evaluate(p, Subject{"docker", "h:1/signed:1", "docker://h:1/signed:1", kDigest, {}, ""}); });
  EXPECT_TRUE(testing::contains(e, "docker://h:1/signed:1 is refused")) << e;
  EXPECT_TRUE(testing::contains(e, "sigstoreSigned")) << e;
}

TEST(Policy, SignedByWithoutASignatureSaysWhereItLooked) {
  Policy p = policy_of(R"({"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyData": "AAAA"}]})");
  Decision d = evaluate(p, Subject{"docker", "h:1/a:1", "x", kDigest, {}, "file:///l/a@sha256=aa"});
  EXPECT_FALSE(d.accepted);
  EXPECT_EQ(d.reason, "signedBy (keyData) needs a signature, and there is none (looked in file:///l/a@sha256=aa)");
}

TEST(Policy, IdentityRulesMeanWhatContainersImageMeans) {
  auto rule = [](IdentityRule r, std::string a = "", std::string b = "") {
    SignedIdentity id;
    id.rule = r;
    if (r == IdentityRule::exact_reference) id.reference = a;
    if (r == IdentityRule::exact_repository) id.repository = a;
    if (r == IdentityRule::remap_identity) {
      id.prefix = a;
      id.signed_prefix = b;
    }
    return id;
  };
  const std::string digest = "@sha256:" + std::string(64, 'a');
  struct Case {
    SignedIdentity rule;
    std::string image, signed_for;
    bool match;
  };
  for (const Case& c : {
           Case{rule(IdentityRule::match_repo_digest_or_exact), "h:1/a:1", "h:1/a:1", true},
           Case{rule(IdentityRule::match_repo_digest_or_exact), "h:1/a:1", "h:1/a:2", false},
           Case{rule(IdentityRule::match_repo_digest_or_exact), "h:1/a" + digest, "h:1/a:2", true},
           Case{rule(IdentityRule::match_repo_digest_or_exact), "h:1/a" + digest, "h:1/b:2", false},
           Case{rule(IdentityRule::match_exact), "h:1/a" + digest, "h:1/a:2", false},
           Case{rule(IdentityRule::match_exact), "h:1/a:1", "h:1/a:1", true},
           Case{rule(IdentityRule::match_exact), "h:1/a:1", "h:1/a", false},
           Case{rule(IdentityRule::match_repository), "h:1/a:1", "h:1/a:9", true},
           Case{rule(IdentityRule::match_repository), "h:1/a:1", "h:1/ab:1", false},
           Case{rule(IdentityRule::exact_reference, "h:1/x:1"), "h:1/a:1", "h:1/x:1", true},
           Case{rule(IdentityRule::exact_reference, "h:1/x:1"), "h:1/a:1", "h:1/x:2", false},
           Case{rule(IdentityRule::exact_repository, "h:1/x"), "", "h:1/x:7", true},
           Case{rule(IdentityRule::exact_repository, "h:1/x"), "", "h:1/y:7", false},
           Case{rule(IdentityRule::remap_identity, "mirror:1/lib", "h:1/lib"), "mirror:1/lib/a:1", "h:1/lib/a:1", true},
           Case{rule(IdentityRule::remap_identity, "mirror:1/lib", "h:1/lib"), "mirror:1/library/a:1", "h:1/lib/a:1",
                false},
           Case{rule(IdentityRule::match_repo_digest_or_exact), "", "h:1/a:1", false},  // built here: no reference
       }) {
    std::string why;
    EXPECT_EQ(identity_matches(c.rule, c.image, c.signed_for, &why), c.match)
        << describe(c.rule.rule) << " " << c.image << " signed for " << c.signed_for << ": " << why;
    if (!c.match) {
      EXPECT_FALSE(why.empty());
    }
  }
}

TEST(RegistriesD, TheLongestNamespaceWinsThenTheDefault) {
  testing::TempDir dir;
  testing::write_file(dir / "a.yaml", "default-docker:\n  lookaside: file:///srv/default\n");
  testing::write_file(dir / "b.yaml",
                      "docker:\n  h:1:\n    lookaside: https://sigs.h.test/host\n"
                      "  h:1/team:\n    sigstore: file:///srv/team\n    sigstore-staging: file:///stage/team\n");
  testing::write_file(dir / "ignored.conf", "not: [yaml");
  RegistriesD config = load_registries_d(dir.path());
  auto entry = [&](const std::string& ref) { return lookaside_for(config, registry::parse_reference(ref)); };
  EXPECT_EQ(entry("docker://h:1/team/app:1")->read, "file:///srv/team");
  EXPECT_EQ(entry("docker://h:1/team/app:1")->write, "file:///stage/team");
  EXPECT_EQ(entry("docker://h:1/other:1")->read, "https://sigs.h.test/host");
  EXPECT_EQ(entry("docker://h:2/other:1")->read, "file:///srv/default");
  EXPECT_EQ(signature_url("file:///srv/team/", registry::parse_reference("docker://h:1/team/app:1"), kDigest, 2),
            "file:///srv/team/team/app@sha256=" + std::string(64, 'a') + "/signature-2");
}

TEST(RegistriesD, RefusesWhatContainersImageRefuses) {
  testing::TempDir dir;
  testing::write_file(dir / "a.yaml", "docker:\n  h:1:\n    lookaside: file:///a\n");
  testing::write_file(dir / "b.yaml", "docker:\n  h:1:\n    lookaside: file:///b\n");
  std::string e = error_of([&] { load_registries_d(dir.path()); });
  EXPECT_TRUE(testing::contains(e, "b.yaml: docker[\"h:1\"]: the namespace is given in")) << e;
  fs::remove(dir / "b.yaml");
  testing::write_file(dir / "c.yaml", "docker: [unclosed\n");
  e = error_of([&] { load_registries_d(dir.path()); });
  EXPECT_TRUE(testing::contains(e, "c.yaml:")) << e;
  testing::write_file(dir / "c.yaml", "docker:\n  h:2:\n    lookaside: /no/scheme\n");
  e = error_of([&] { load_registries_d(dir.path()); });
  EXPECT_TRUE(testing::contains(e, "is not a URL")) << e;
  EXPECT_TRUE(load_registries_d(dir / "absent").docker.empty());
}

TEST(Keys, ArmoredKeysBecomeTheBinaryPackets) {
  const std::string packets("\x99\x00\x03key", 6);
  const std::string armored = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: test\n\n" + base64_encode(packets) +
                              "\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n";
  EXPECT_EQ(binary_keyring(armored, "k"), packets);
  EXPECT_EQ(binary_keyring(armored + armored, "k"), packets + packets);
  EXPECT_EQ(binary_keyring(packets, "k"), packets);  // binary stays
  EXPECT_TRUE(testing::contains(error_of([] { binary_keyring("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n", "k"); }),
                                "no END line"));
}

}  // namespace
}  // namespace sheaf::sign
