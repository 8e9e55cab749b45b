#include "pipeline/trust.hpp"

#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include "base/error.hpp"
#include "base/fs.hpp"
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

// The signatures the store keeps for an image; `blobs` gets their blobs,
// the simple ones first, then the sigstore ones.
ImageSignatures stored_signatures(store::LocalStore& store, const Digest& manifest, std::vector<Digest>* blobs = nullptr) {
  ImageSignatures out;
  std::vector<Digest> simple_blobs, sigstore_blobs;
  for (const auto& s : store.index().image_signatures(manifest.str())) {
    auto digest = Digest::parse(s.blob);
    auto bytes = digest ? store.read_blob(*digest) : std::nullopt;
    if (!bytes) fail("the store lacks the signature {} of {} (sheaf store verify)", s.blob, manifest.str());
    if (s.kind == "sigstore") {
      out.sigstore.push_back(sign::parse_record(*bytes, s.blob));
      sigstore_blobs.push_back(*digest);
    } else {
      out.simple.push_back(std::move(*bytes));
      simple_blobs.push_back(*digest);
    }
  }
  if (blobs) {
    *blobs = std::move(simple_blobs);
    blobs->insert(blobs->end(), sigstore_blobs.begin(), sigstore_blobs.end());
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
                                           const ImageSignatures& signatures) {
  std::vector<sign::Subject> subjects;
  for (const auto& origin : store.index().image_origins(manifest.str())) {
    registry::Reference reference = registry::parse_reference(origin);
    subjects.push_back({"docker", docker_identity(reference), fmt::format("{} (pulled from {})", name, origin),
                        manifest, signatures.simple, "the store", signatures.sigstore, "the store"});
  }
  if (subjects.empty()) {
    std::string identity;
    try {
      auto [n, tag] = image::parse_tag(name);
      if (store.index().tagged_image(n, tag) == manifest.str()) identity = n + ":" + tag;
    } catch (const Error&) {
      // A digest or a layout path: no name to scope by.
    }
    subjects.push_back({"sheaf", identity, fmt::format("{} (built in this store)", name), manifest, signatures.simple,
                        "the store", signatures.sigstore, "the store"});
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
  if (options.sign_by.empty() == options.key.empty()) {
    fail_usage("give --sign-by FINGERPRINT (a simple signature with GnuPG) or --key KEY (a sigstore signature), "
               "not {}",
               options.key.empty() ? "neither" : "both");
  }
  std::string blob;
  if (!options.key.empty()) {
    sign::PrivateKey key = sign::load_private_key(options.key, options.passphrase.given, options.passphrase.ask);
    blob = sign::render_record(sign::make_sigstore_signature(key, result.manifest, result.identity));
    result.kind = "sigstore";
    result.signer = key.public_key().key_id();
  } else {
    sign::Payload payload{result.manifest, result.identity, std::string("sheaf ") + SHEAF_VERSION,
                          static_cast<std::int64_t>(std::time(nullptr))};
    blob = sign::sign_with_gpg(sign::render_payload(payload), options.sign_by);
    result.kind = "simple";
    result.signer = options.sign_by;
  }
  auto batch = store.begin_write();
  result.signature = batch->add_blob(blob);
  batch->commit([&](store::Index::Transaction& t) {
    t.add_image_signature(record.digest, result.signature.str(), result.identity, result.kind);
  });
  return result;
}

KeyGenerateResult generate_key(const KeyGenerateOptions& options) {
  KeyGenerateResult result;
  result.private_key = options.prefix.string() + ".key";
  result.public_key = options.prefix.string() + ".pub";
  for (const auto& path : {result.private_key, result.public_key}) {
    std::error_code ec;
    if (!options.force && fs::symlink_status(path, ec).type() != fs::file_type::not_found) {
      fail_usage("{} exists; sheaf key generate does not replace a key (--force does)", quote(path.string()));
    }
  }
  sign::PrivateKey key = sign::PrivateKey::generate(options.algorithm);
  sign::PublicKey public_key = key.public_key();
  const std::string sealed = key.encrypted_pem(options.passphrase);
  write_file_atomically(result.private_key, sealed, 0600);
  write_file_atomically(result.public_key, public_key.pem(), 0644);
  result.key_id = public_key.key_id();
  return result;
}

SignatureRows::SignatureRows(store::WriteBatch& batch, const ImageSignatures& signatures) {
  for (const auto& s : signatures.simple) rows_.emplace_back(batch.add_blob(s), "simple");
  for (const auto& s : signatures.sigstore) rows_.emplace_back(batch.add_blob(sign::render_record(s)), "sigstore");
}

void SignatureRows::record(store::Index::Transaction& transaction, const Digest& manifest) const {
  for (const auto& [blob, kind] : rows_) transaction.add_image_signature(manifest.str(), blob.str(), "", kind);
}

ImageSignatures read_sigstore_attachment(registry::Registry& client, const registry::Reference& reference,
                                         const Digest& manifest, std::string* from) {
  const std::string tag = sign::sigstore_tag(manifest);
  const std::string where = reference.name() + ":" + tag;
  if (from) *from = where;
  ImageSignatures out;
  auto attachment = client.get_manifest(reference.repository, tag);
  if (!attachment) return out;
  for (const auto& layer : sign::parse_attachment(attachment->bytes, where)) {
    if (layer.size > sign::kMaxSigstorePayloadSize) {
      throw ParseError(where, fmt::format("the payload {} is {} bytes, over the limit of {}", layer.payload.str(),
                                          layer.size, sign::kMaxSigstorePayloadSize));
    }
    sign::SigstoreSignature signature;
    signature.payload = client.get_blob_bytes(reference.repository, layer.payload, layer.size, sign::kMaxSigstorePayloadSize);
    signature.annotations = layer.annotations;
    out.sigstore.push_back(std::move(signature));
  }
  return out;
}

ImageSignatures check_pull(Reporter& reporter, registry::Registry& client, const registry::Reference& reference,
                           const Digest& manifest, const TrustOptions& trust, const registry::Options& options) {
  std::optional<sign::Policy> policy = sign::load_policy(trust.policy);
  sign::RegistriesD config = sign::load_registries_d(sign::registries_d_dir(trust.registries_d));
  // A lookaside store or an attachment that cannot be read matters only to
  // a policy that needs those signatures (containers/image reads them only
  // then).
  ImageSignatures found;
  std::string simple_from, sigstore_from;
  std::optional<Error> simple_unread, sigstore_unread;
  try {
    sign::FoundSignatures lookaside =
        sign::read_signatures(sign::lookaside_for(config, reference), reference, manifest, options);
    found.simple = std::move(lookaside.signatures);
    simple_from = lookaside.from;
  } catch (const Error& e) {
    simple_unread = e;
  }
  try {
    found.sigstore = read_sigstore_attachment(client, reference, manifest, &sigstore_from).sigstore;
  } catch (const Error& e) {
    sigstore_unread = e;
  }
  const std::string identity = docker_identity(reference);
  if (policy) {
    if (simple_unread && sign::needs_simple_signatures(*policy, "docker", identity)) throw *simple_unread;
    if (sigstore_unread && sign::needs_sigstore_signatures(*policy, "docker", identity)) {
      fail("{} is refused by the trust policy {}: it asks for sigstore signatures, and those in the registry cannot "
           "be read: {}",
           reference.str(), policy->file.string(), sigstore_unread->what());
    }
    sign::Subject subject{"docker",    identity,         reference.str(), manifest,
                          found.simple, simple_from,     found.sigstore,  sigstore_from};
    sign::Decision decision = sign::evaluate(*policy, subject);
    if (!decision.accepted) fail("{}", refusal(reference.str(), *policy, decision));
  }
  for (const auto* unread : {&simple_unread, &sigstore_unread}) {
    if (*unread) {
      reporter.warning(fmt::format("{}; the trust policy does not need them, so the image is pulled without those "
                                   "signatures",
                                   (*unread)->what()));
    }
  }
  return found;
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
  // An image of an index was signed as the index (a pull keeps the index's
  // signatures with the index): the index's acceptance vouches for the
  // images its stored, content-addressed blob lists.
  for (const auto& index : store.index().indexes_with_image(manifest.str())) {
    std::string label = fmt::format("{} (an image of the index {})", name, index);
    Digest digest = *Digest::parse(index);
    for (const auto& subject : stored_subjects(store, label, digest, stored_signatures(store, digest))) {
      sign::Decision decision = sign::evaluate(*policy, subject);
      if (decision.accepted) return;
      refusals.push_back(refusal(subject.label, *policy, decision));
    }
  }
  fail("{}", fmt::join(refusals, "\n"));
}

std::size_t push_sigstore_attachment(Session& session, RegistryPool& pool, const registry::Reference& reference,
                                     const Digest& manifest, const std::vector<sign::SigstoreSignature>& signatures,
                                     unsigned threads) {
  std::vector<sign::SigstoreSignature> merged;
  {
    auto client = pool.take();
    try {
      merged = read_sigstore_attachment(*client, reference, manifest).sigstore;
    } catch (const ParseError& e) {
      session.reporter().warning(fmt::format("{}; it is replaced by the signatures of this push", e.what()));
    }
    pool.give_back(std::move(client));
  }
  const std::size_t before = merged.size();
  std::set<std::string> held;
  for (const auto& s : merged) held.insert(sign::render_record(s));
  for (const auto& s : signatures) {
    if (held.insert(sign::render_record(s)).second) merged.push_back(s);
  }
  sign::Attachment attachment = sign::render_attachment(merged);
  if (merged.size() == before) return merged.size();  // the registry has them all
  std::vector<UploadBlob> blobs;
  std::set<Digest> listed;
  for (const auto& payload : attachment.payloads) {
    Digest digest = Digest::of(payload);
    if (listed.insert(digest).second) blobs.push_back({digest, payload.size(), payload, "a sigstore payload"});
  }
  blobs.push_back({Digest::of(attachment.config), attachment.config.size(), attachment.config, "the sigstore config"});
  upload_blobs(session, pool, reference, blobs, threads);
  auto client = pool.take();
  client->put_manifest(reference.repository, sign::sigstore_tag(manifest), "application/vnd.oci.image.manifest.v1+json",
                       attachment.manifest);
  pool.give_back(std::move(client));
  return merged.size();
}

VerifyResult verify(Session& session, const VerifyOptions& options) {
  VerifyResult result;
  ImageSignatures signatures;
  std::vector<Digest> blobs;
  std::string transport = "docker", identity, sigstore_from;
  if (registry::is_remote(options.target)) {
    registry::Reference reference = registry::parse_reference(options.target);
    result.label = reference.str();
    registry::Registry client(reference.host, options.registry);
    result.manifest = client.require_manifest(reference).digest;
    sign::RegistriesD config = sign::load_registries_d(sign::registries_d_dir(options.trust.registries_d));
    sign::FoundSignatures found =
        sign::read_signatures(sign::lookaside_for(config, reference), reference, result.manifest, options.registry);
    signatures.simple = std::move(found.signatures);
    signatures.sigstore = read_sigstore_attachment(client, reference, result.manifest, &sigstore_from).sigstore;
    for (const auto& s : signatures.simple) blobs.push_back(Digest::of(s));
    for (const auto& s : signatures.sigstore) blobs.push_back(Digest::of(sign::render_record(s)));
    result.signatures_from = fmt::format("{} and {}", found.from.empty() ? "no lookaside store (registries.d names none for it)" : found.from,
                                         sigstore_from);
    identity = docker_identity(reference);
  } else {
    store::LocalStore& store = session.store();
    store::ImageRecord record = image::resolve_image(store.index(), options.target);
    result.manifest = *Digest::parse(record.digest);
    signatures = stored_signatures(store, result.manifest, &blobs);
    result.signatures_from = "the store";
    sigstore_from = "the store";
    // The first reference it was pulled from, or the name it was built as.
    sign::Subject first = stored_subjects(store, options.target, result.manifest, {}).front();
    transport = first.transport;
    identity = first.identity;
    result.label = first.label;
  }
  const std::size_t simple_count = signatures.simple.size();
  if (options.keyring || options.key) {
    std::optional<sign::SignedIdentity> rule;
    if (transport == "docker") rule = sign::SignedIdentity{};  // matchRepoDigestOrExact; a built image has no reference
    std::string keyring;
    if (options.keyring) keyring = read_keyring(*options.keyring);
    std::vector<sign::PublicKey> keys;
    if (options.key) keys.push_back(sign::load_public_key(options.key->string()));
    for (std::size_t i = 0; i < simple_count; ++i) {
      sign::SignatureCheck check = options.keyring
                                       ? sign::check_signature(signatures.simple[i], keyring, result.manifest, rule, identity)
                                       : sign::SignatureCheck{false, "", "", "not checked: a simple signature, and no --gpg-keyring given"};
      result.accepted = result.accepted || check.accepted;
      result.signatures.push_back({blobs[i], "simple", std::move(check)});
    }
    for (std::size_t i = 0; i < signatures.sigstore.size(); ++i) {
      sign::SignatureCheck check =
          options.key ? sign::check_sigstore_signature(signatures.sigstore[i], keys, result.manifest, rule, identity)
                      : sign::SignatureCheck{false, "", "", "not checked: a sigstore signature, and no --key given"};
      result.accepted = result.accepted || check.accepted;
      result.signatures.push_back({blobs[simple_count + i], "sigstore", std::move(check)});
    }
    if (!result.accepted) {
      std::vector<std::string> keys_named;
      if (options.keyring) keys_named.push_back(options.keyring->string());
      if (options.key) keys_named.push_back(options.key->string());
      result.reason = signatures.empty() ? fmt::format("there is no signature (looked in {})", result.signatures_from)
                                         : fmt::format("no signature is by {} for this image", fmt::join(keys_named, " or "));
    }
    return result;
  }
  for (std::size_t i = 0; i < simple_count; ++i) {
    result.signatures.push_back({blobs[i], "simple", sign::SignatureCheck{false, "", "", "not checked: no keyring given"}});
  }
  for (std::size_t i = 0; i < signatures.sigstore.size(); ++i) {
    result.signatures.push_back(
        {blobs[simple_count + i], "sigstore", sign::SignatureCheck{false, "", "", "not checked: no key given"}});
  }
  std::optional<sign::Policy> policy = sign::load_policy(options.trust.policy);
  if (!policy) {
    result.accepted = true;
    result.reason = "there is no trust policy (no policy.json), so every image is accepted";
    return result;
  }
  result.policy_file = policy->file.string();
  sign::Subject subject{transport,         identity,       result.label,       result.manifest,
                        signatures.simple, result.signatures_from, signatures.sigstore, sigstore_from};
  sign::Decision decision = sign::evaluate(*policy, subject);
  result.accepted = decision.accepted;
  result.scope = decision.scope;
  result.reason = decision.accepted ? "" : refusal(result.label, *policy, decision);
  return result;
}

}  // namespace sheaf::pipeline
