// The sign module on its own: the payload's strict reading, policy.json's
// parsing, scopes and identity rules, registries.d lookups and armored keys.
// The gpg and gpgv round trips run in src/cli/signing_test.cpp against
// skopeo and podman.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/base64.hpp"
#include "base/error.hpp"
#include "sign/dsse.hpp"
#include "sign/gpg.hpp"
#include "sign/keys.hpp"
#include "sign/payload.hpp"
#include "sign/policy.hpp"
#include "sign/registries_d.hpp"
#include "sign/sigstore.hpp"
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

TEST(Policy, FulcioAndRekorAreRefusedWhereTheyApply) {
  Policy p = policy_of(R"({"default": [{"type": "insecureAcceptAnything"}],
    "transports": {"docker": {"h:1/signed": [{"type": "sigstoreSigned", "fulcio": {"caPath": "/ca.pem"}}]}}})");
  EXPECT_TRUE(evaluate(p, Subject{"docker", "h:1/other:1", "x", kDigest, {}, ""}).accepted);
  std::string e = error_of([&] { evaluate(p, Subject{"docker", "h:1/signed:1", "docker://h:1/signed:1", kDigest, {}, ""}); });
  EXPECT_TRUE(testing::contains(e, "docker://h:1/signed:1 is refused")) << e;
  EXPECT_TRUE(testing::contains(e, "asks for fulcio, which sheaf does not check")) << e;
  EXPECT_TRUE(testing::contains(error_of([] { policy_of(R"({"default": [{"type": "sigstoreSigned"}]})"); }),
                                "sigstoreSigned needs keyPath, keyPaths, keyData, keyDatas, fulcio or pki"));
  EXPECT_TRUE(testing::contains(
      error_of([] { policy_of(R"({"default": [{"type": "sigstoreSigned", "keyData": "AA==", "keyPath": "/k"}]})"); }),
      "sigstoreSigned takes only one of"));
}

TEST(Policy, SigstoreSignedChecksKeyDigestAndIdentity) {
  PrivateKey key = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
  PrivateKey other = PrivateKey::generate(KeyAlgorithm::ed25519);
  const std::string data = base64_encode(key.public_key().pem());
  Policy p = policy_of(R"({"default": [{"type": "sigstoreSigned", "keyData": ")" + data + R"("}]})");
  auto decide = [&](std::vector<SigstoreSignature> signatures, const std::string& identity = "h:1/app:1") {
    return evaluate(p, Subject{"docker", identity, "docker://" + identity, kDigest, {}, "", std::move(signatures), "h:1/app:sha256-a.sig"});
  };
  EXPECT_TRUE(decide({make_sigstore_signature(key, kDigest, "h:1/app:1")}).accepted);
  Decision none = decide({});
  EXPECT_EQ(none.reason, "sigstoreSigned (keyData) needs a sigstore signature, and there is none (looked in h:1/app:sha256-a.sig)");
  EXPECT_TRUE(testing::contains(decide({make_sigstore_signature(other, kDigest, "h:1/app:1")}).reason,
                                "not a signature of its payload by the trusted key"));
  const Digest another = Digest::of("another");
  EXPECT_TRUE(testing::contains(decide({make_sigstore_signature(key, another, "h:1/app:1")}).reason,
                                "it signs the manifest " + another.str()));
  EXPECT_TRUE(testing::contains(decide({make_sigstore_signature(key, kDigest, "h:1/elsewhere:1")}).reason,
                                "signed for h:1/elsewhere:1, which matchRepoDigestOrExact"));
  // One good signature among bad ones is enough.
  Decision several = decide({make_sigstore_signature(other, kDigest, "h:1/app:1"), make_sigstore_signature(key, kDigest, "h:1/app:1")});
  EXPECT_TRUE(several.accepted) << several.reason;
  EXPECT_EQ(several.signers, std::vector<std::string>{key.public_key().key_id()});
  // A flipped bit in the payload or the signature.
  SigstoreSignature payload_bit = make_sigstore_signature(key, kDigest, "h:1/app:1");
  payload_bit.payload[20] = static_cast<char>(payload_bit.payload[20] ^ 1);
  EXPECT_FALSE(decide({payload_bit}).accepted);
  SigstoreSignature signature_bit = make_sigstore_signature(key, kDigest, "h:1/app:1");
  std::string raw = *base64_decode(signature_bit.signature_base64());
  raw[raw.size() / 2] = static_cast<char>(raw[raw.size() / 2] ^ 1);
  signature_bit.annotations[std::string(kSigstoreSignatureAnnotation)] = base64_encode(raw);
  EXPECT_FALSE(decide({signature_bit}).accepted);
  // An RSA key in the policy is a clear error.
  Policy rsa = policy_of(R"({"default": [{"type": "sigstoreSigned", "keyData": ")" +
                         base64_encode("-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n") + R"("}]})");
  EXPECT_TRUE(testing::contains(error_of([&] { evaluate(rsa, Subject{"docker", "h:1/app:1", "x", kDigest, {}, ""}); }),
                                "an RSA key; sheaf signs and verifies with ECDSA P-256 or Ed25519 keys"));
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

namespace sheaf::sign {
namespace {

// go-securesystemslib's own test vectors (encrypted/encrypted_test.go):
// "reallyimportant" sealed with "supersecret" under each scrypt strength
// cosign may write (the last two through Marshal, which seals the JSON
// string of the bytes). Made by Go's scrypt and secretbox, opened here by
// libsodium's.
TEST(Keys, OpensTheEnvelopesGoSecuresystemslibWrites) {
  const std::string marshalled = "\"cmVhbGx5aW1wb3J0YW50\"";  // json.Marshal([]byte("reallyimportant"))
  for (const auto& [envelope, plaintext] : std::vector<std::pair<std::string, std::string>>{
       {R"({"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"N9a7x5JFGbrtB2uBR81jPwp0eiLR4A7FV3mjVAQrg1g="},"cipher":{"name":"nacl/secretbox","nonce":"2h8HxMmgRfuYdpswZBQaU3xJ1nkA/5Ik"},"ciphertext":"SEW6sUh0jf2wfdjJGPNS9+bkk2uB+Cxamf32zR8XkQ=="})", "reallyimportant"},
       {
        R"({"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"FhzPOt9/bJG4PTq6lQ6ecG6GzaOuOy/ynG5+yRiFlNs="},"cipher":{"name":"nacl/secretbox","nonce":"aw1ng1jHaDz/tQ7V2gR9O2+IGQ8xJEuE"},"ciphertext":"HycvuLZL4sYH0BrYTh4E/H20VtAW6u5zL5Pr+IBjYLYnCPzDkq8="})", marshalled},
       {
        R"({"kdf":{"name":"scrypt","params":{"N":131072,"r":8,"p":1},"salt":"m38E3kouJTtiheLQN22NQ8DTito5hrjpUIskqcd375k="},"cipher":{"name":"nacl/secretbox","nonce":"Y6PM13yA+o44pE/W1ZBwczeGnTV/m9Zc"},"ciphertext":"6H8sqj1K6B6yDjtH5AQ6lbFigg/C2yDDJc4rYJ79w9aVPImFIPI="})", marshalled}}) {
    EXPECT_EQ(open_envelope(envelope, "supersecret", "vector"), plaintext);
    EXPECT_THROW(open_envelope(envelope, "supersecreT", "vector"), WrongPassphrase);
  }
  // Parameters other than cosign's are refused before any work (the vector
  // go-securesystemslib refuses too).
  EXPECT_TRUE(testing::contains(
      error_of([] {
        open_envelope(R"({"kdf":{"name":"scrypt","params":{"N":99,"r":99,"p":99},"salt":"cZFcQJdwPhPyhU1R4qkl0qVOIjZd4V/7LYYAavq166k="},"cipher":{"name":"nacl/secretbox","nonce":"7vhRS7j0hEPBWV05skAdgLj81AkGeE7U"},"ciphertext":"6WYU/YSXVbYzl/NzaeAzmjLyfFhOOjLc0d8/GFV0aBFdJvyCcXc="})",
                      "supersecret", "k");
      }),
      "k: unsupported scrypt parameters N=99 r=99 p=99"));
}

TEST(Keys, AGeneratedKeyRoundTripsThroughItsEncryptedForm) {
  for (KeyAlgorithm algorithm : {KeyAlgorithm::ecdsa_p256, KeyAlgorithm::ed25519}) {
    SCOPED_TRACE(std::string(describe(algorithm)));
    PrivateKey key = PrivateKey::generate(algorithm);
    const std::string pem = key.encrypted_pem("pass");
    EXPECT_TRUE(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")) << pem;
    PrivateKey back = PrivateKey::from_encrypted_pem(pem, "pass", "k");
    EXPECT_EQ(back.algorithm(), algorithm);
    EXPECT_EQ(back.public_key().der(), key.public_key().der());
    EXPECT_THROW(PrivateKey::from_encrypted_pem(pem, "pas", "k"), WrongPassphrase);
    // The older label cosign wrote reads too.
    std::string older = pem;
    for (std::size_t at; (at = older.find("SIGSTORE")) != std::string::npos;) older.replace(at, 8, "COSIGN");
    EXPECT_EQ(PrivateKey::from_encrypted_pem(older, "pass", "k").public_key().der(), key.public_key().der());
    const std::string signature = key.sign("message");
    PublicKey pub = PublicKey::from_pem(key.public_key().pem(), "pub");
    EXPECT_TRUE(pub.verify("message", signature));
    EXPECT_FALSE(pub.verify("messagE", signature));
    EXPECT_TRUE(pub.key_id().starts_with("sha256:"));
  }
  // Ed25519 is deterministic; ECDSA is randomised.
  PrivateKey ed = PrivateKey::generate(KeyAlgorithm::ed25519);
  EXPECT_EQ(ed.sign("m"), ed.sign("m"));
}

TEST(Keys, OtherKindsAndOtherFormatsAreNamed) {
  EXPECT_TRUE(testing::contains(error_of([] { PublicKey::from_pem("hello", "k.pub"); }),
                                "k.pub: not a PEM public key"));
  EXPECT_TRUE(testing::contains(
      error_of([] { PrivateKey::from_encrypted_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", "k"); }),
      "k: an unencrypted PEM private key"));
  EXPECT_TRUE(testing::contains(
      error_of([] { PrivateKey::from_encrypted_pem("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "", "k"); }),
      "k: an RSA key"));
  // An RSA SubjectPublicKeyInfo, made by openssl.
  testing::TempDir dir;
  testing::CommandResult made = testing::run_command(
      {"/usr/bin/openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", (dir / "rsa.key").string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  testing::CommandResult pub = testing::run_command({"/usr/bin/openssl", "pkey", "-in", (dir / "rsa.key").string(), "-pubout"});
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  EXPECT_TRUE(testing::contains(error_of([&] { PublicKey::from_pem(pub.out, "rsa.pub"); }), "rsa.pub: an RSA key"));
  testing::CommandResult p384 = testing::run_command({"/usr/bin/openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                                                      "ec_paramgen_curve:P-384", "-out", (dir / "p384.key").string()});
  ASSERT_EQ(p384.exit_code, 0) << p384.err;
  testing::CommandResult p384_pub = testing::run_command({"/usr/bin/openssl", "pkey", "-in", (dir / "p384.key").string(), "-pubout"});
  ASSERT_EQ(p384_pub.exit_code, 0) << p384_pub.err;
  EXPECT_TRUE(testing::contains(error_of([&] { PublicKey::from_pem(p384_pub.out, "p384.pub"); }), "on the curve secp384r1"));
}

TEST(Sigstore, TheAttachmentCarriesEachSignatureAsALayer) {
  PrivateKey key = PrivateKey::generate(KeyAlgorithm::ed25519);
  SigstoreSignature one = make_sigstore_signature(key, kDigest, "h:1/app:1");
  EXPECT_EQ(one.payload, "{\"critical\":{\"identity\":{\"docker-reference\":\"h:1/app:1\"},\"image\":{\"docker-manifest-"
                         "digest\":\"" + kDigest.str() + "\"},\"type\":\"cosign container image signature\"},\"optional\":null}");
  EXPECT_EQ(sigstore_tag(kDigest), "sha256-" + std::string(64, 'a') + ".sig");
  SigstoreSignature two = make_sigstore_signature(key, kDigest, "h:1/app:2");
  Attachment a = render_attachment({one, two, one});
  ASSERT_EQ(a.payloads.size(), 2u);
  auto layers = parse_attachment(a.manifest, "m");
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].payload, one.payload_digest());
  EXPECT_EQ(layers[0].size, one.payload.size());
  EXPECT_EQ(layers[1].annotations, two.annotations);
  EXPECT_EQ(parse_record(render_record(one), "r").payload, one.payload);
  EXPECT_TRUE(testing::contains(error_of([] { parse_attachment("garbage", "REPO:sha256-a.sig"); }),
                                "REPO:sha256-a.sig: the signature manifest is not a JSON object"));
  EXPECT_TRUE(testing::contains(error_of([&] { parse_attachment(a.manifest.substr(0, a.manifest.size() / 2), "m"); }),
                                "not a JSON object"));
  EXPECT_TRUE(testing::contains(
      error_of([] {
        parse_attachment(R"({"schemaVersion":2,"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":1}]})", "m");
      }),
      "m: layer 0: has no sha256 digest"));
}

TEST(Dsse, SignsThePreAuthenticationEncoding) {
  EXPECT_EQ(pae("http://example.com/HelloWorld", "hello world"), "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  PrivateKey key = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
  PrivateKey other = PrivateKey::generate(KeyAlgorithm::ed25519);
  Envelope envelope = sign_envelope(kPackageSignatureType, "{\"package\":\"x\"}", key);
  Envelope back = parse_envelope(render_envelope(envelope), "e");
  EXPECT_EQ(back.payload_type, kPackageSignatureType);
  EXPECT_EQ(back.signatures.at(0).keyid, key.public_key().key_id());
  EXPECT_EQ(envelope_signers(back, {other.public_key(), key.public_key()}), std::vector<std::string>{key.public_key().key_id()});
  // The payload type is signed too.
  Envelope retyped = back;
  retyped.payload_type = "application/other";
  EXPECT_TRUE(envelope_signers(retyped, {key.public_key()}).empty());
  Envelope changed = back;
  changed.payload += " ";
  EXPECT_TRUE(envelope_signers(changed, {key.public_key()}).empty());
  EXPECT_TRUE(testing::contains(error_of([] { parse_envelope(R"({"payloadType":"t","payload":"","signatures":[]})", "e"); }),
                                "e: \"signatures\" is missing or empty"));
}

}  // namespace
}  // namespace sheaf::sign
