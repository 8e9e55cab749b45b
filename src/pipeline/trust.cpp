#include "pipeline/trust.hpp"

#include <ctime>
#include <fstream>
#include <sstream>

#include "base/error.hpp"
#include "image/image_ref.hpp"
#include "registry/reference.hpp"
#include "sign/gpg.hpp"
#include "sign/lookaside.hpp"
#include "sign/payload.hpp"
#include "store/write_batch.hpp"

namespace sheaf::pipeline {

namespace fs = std::filesystem;

namespace {

// HOST/REPO:TAG or HOST/REPO@sha256:HEX: the docker transport's identity.
std::string docker_identity(const registry::Reference& reference) {
  return reference.str().substr(registry::kTransport.size());
}

std::string refusal(const std::string& label, const sign::Policy& policy, const sign::Decision& decision) {
  return fmt::format("{} is refused by the trust policy {} (scope {}): {}", label, policy.file.string(),
                     decision.scope, decision.reason);
}

std::vector<std::string> stored_signatures(store::LocalStore& store, const Digest& manifest,
                                           std::vector<Digest>* blobs = nullptr) {
  std::vector<std::string> out;
  for (const auto& s : store.index().image_signatures(manifest.str())) {
    auto digest = Digest::parse(s.blob);
    auto bytes = digest ? store.read_blob(*digest) : std::nullopt;
    if (!bytes) fail("the store lacks the signature {} of {} (sheaf store verify)", s.blob, manifest.str());
    out.push_back(std::move(*bytes));
    if (blobs) blobs->push_back(*digest);
  }
  return out;
}

std::string read_keyring(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read the keyring {}: {}", quote(path.string()), std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return sign::binary_keyring(bytes.str(), path.string());
}

// What the policy is asked about a stored image named `name`: one subject
// per registry reference it was pulled from, or, for an image built here,
// one of the transport "sheaf" under NAME:TAG when that is how it was named.
std::vector<sign::Subject> stored_subjects(store::LocalStore& store, const std::string& name, const Digest& manifest,
                                           const std::vector<std::string>& signatures) {
  std::vector<sign::Subject> subjects;
  for (const auto& origin : store.index().image_origins(manifest.str())) {
    registry::Reference reference = registry::parse_reference(origin);
    subjects.push_back({"docker", docker_identity(reference), fmt::format("{} (pulled from {})", name, origin),
                        manifest, signatures, "the store"});
  }
  if (subjects.empty()) {
    std::string identity;
    try {
      auto [n, tag] = image::parse_tag(name);
      if (store.index().tagged_image(n, tag) == manifest.str()) identity = n + ":" + tag;
    } catch (const Error&) {
      // A digest or a layout path: no name to scope by.
    }
    subjects.push_back({"sheaf", identity, fmt::format("{} (built in this store)", name), manifest, signatures,
                        "the store"});
  }
  return subjects;
}

}  // namespace

SignResult sign_image(Session& session, const SignOptions& options) {
  if (!registry::is_remote(options.identity)) {
    fail_usage("--identity takes the reference the image is signed for, docker://HOST[:PORT]/REPO[:TAG], not {}",
               quote(options.identity));
  }
  registry::Reference identity = registry::parse_reference(options.identity);
  store::LocalStore& store = session.store();
  store::ImageRecord record = image::resolve_image(store.index(), options.image);
  SignResult result;
  result.manifest = *Digest::parse(record.digest);
  if (identity.digest && *identity.digest != result.manifest) {
    fail_usage("{} names the digest {}, but {} is {}", identity.str(), identity.digest->str(), options.image,
               record.digest);
  }
  result.identity = docker_identity(identity);
  sign::Payload payload{result.manifest, result.identity, std::string("sheaf ") + SHEAF_VERSION,
                        static_cast<std::int64_t>(std::time(nullptr))};
  std::string signature = sign::sign_with_gpg(sign::render_payload(payload), options.sign_by);
  auto batch = store.begin_write();
  result.signature = batch->add_blob(signature);
  batch->commit([&](store::Index::Transaction& t) {
    t.add_image_signature(record.digest, result.signature.str(), result.identity);
  });
  return result;
}

std::vector<std::string> check_pull(Reporter& reporter, const registry::Reference& reference, const Digest& manifest,
                                    const TrustOptions& trust, const registry::Options& options) {
  std::optional<sign::Policy> policy = sign::load_policy(trust.policy);
  sign::RegistriesD config = sign::load_registries_d(sign::registries_d_dir(trust.registries_d));
  // A lookaside store that cannot be read matters only to a policy that
  // needs signatures (containers/image reads them only then).
  sign::FoundSignatures found;
  std::optional<Error> unread;
  try {
    found = sign::read_signatures(sign::lookaside_for(config, reference), reference, manifest, options);
  } catch (const Error& e) {
    unread = e;
  }
  if (policy) {
    sign::Subject subject{"docker", docker_identity(reference), reference.str(), manifest, found.signatures, found.from};
    sign::Decision decision = sign::evaluate(*policy, subject);
    if (!decision.accepted) {
      if (unread) throw *unread;
      fail("{}", refusal(reference.str(), *policy, decision));
    }
  }
  if (unread) {
    reporter.warning(fmt::format("{}; the trust policy does not need them, so the image is pulled without its "
                                 "signatures",
                                 unread->what()));
  }
  return found.signatures;
}

void require_trusted(Session& session, const std::string& name, const Digest& manifest, const TrustOptions& trust) {
  std::optional<sign::Policy> policy = sign::load_policy(trust.policy);
  if (!policy) return;
  store::LocalStore& store = session.store();
  std::vector<std::string> refusals;
  for (const auto& subject : stored_subjects(store, name, manifest, stored_signatures(store, manifest))) {
    sign::Decision decision = sign::evaluate(*policy, subject);
    if (decision.accepted) return;
    refusals.push_back(refusal(subject.label, *policy, decision));
  }
  fail("{}", fmt::join(refusals, "\n"));
}

VerifyResult verify(Session& session, const VerifyOptions& options) {
  VerifyResult result;
  std::vector<std::string> signatures;
  std::vector<Digest> blobs;
  std::string transport = "docker", identity;
  if (registry::is_remote(options.target)) {
    registry::Reference reference = registry::parse_reference(options.target);
    result.label = reference.str();
    registry::Registry client(reference.host, options.registry);
    result.manifest = client.require_manifest(reference).digest;
    sign::RegistriesD config = sign::load_registries_d(sign::registries_d_dir(options.trust.registries_d));
    sign::FoundSignatures found =
        sign::read_signatures(sign::lookaside_for(config, reference), reference, result.manifest, options.registry);
    signatures = std::move(found.signatures);
    for (const auto& s : signatures) blobs.push_back(Digest::of(s));
    result.signatures_from = found.from.empty() ? "no lookaside store (registries.d names none for it)" : found.from;
    identity = docker_identity(reference);
  } else {
    store::LocalStore& store = session.store();
    store::ImageRecord record = image::resolve_image(store.index(), options.target);
    result.manifest = *Digest::parse(record.digest);
    signatures = stored_signatures(store, result.manifest, &blobs);
    result.signatures_from = "the store";
    // The first reference it was pulled from, or the name it was built as.
    sign::Subject first = stored_subjects(store, options.target, result.manifest, {}).front();
    transport = first.transport;
    identity = first.identity;
    result.label = first.label;
  }
  if (options.keyring) {
    std::string keyring = read_keyring(*options.keyring);
    std::optional<sign::SignedIdentity> rule;
    if (transport == "docker") rule = sign::SignedIdentity{};  // matchRepoDigestOrExact; a built image has no reference
    for (std::size_t i = 0; i < signatures.size(); ++i) {
      SignatureReport report{blobs[i], sign::check_signature(signatures[i], keyring, result.manifest, rule, identity)};
      result.accepted = result.accepted || report.check.accepted;
      result.signatures.push_back(std::move(report));
    }
    if (!result.accepted) {
      result.reason = signatures.empty() ? fmt::format("there is no signature (looked in {})", result.signatures_from)
                                         : fmt::format("no signature is by a key of {} for this image",
                                                       options.keyring->string());
    }
    return result;
  }
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    result.signatures.push_back({blobs[i], sign::SignatureCheck{false, "", "", "not checked: no keyring given"}});
  }
  std::optional<sign::Policy> policy = sign::load_policy(options.trust.policy);
  if (!policy) {
    result.accepted = true;
    result.reason = "there is no trust policy (no policy.json), so every image is accepted";
    return result;
  }
  result.policy_file = policy->file.string();
  sign::Subject subject{transport, identity, result.label, result.manifest, signatures, result.signatures_from};
  sign::Decision decision = sign::evaluate(*policy, subject);
  result.accepted = decision.accepted;
  result.scope = decision.scope;
  result.reason = decision.accepted ? "" : refusal(result.label, *policy, decision);
  return result;
}

}  // namespace sheaf::pipeline
