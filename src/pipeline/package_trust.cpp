#include "pipeline/package_trust.hpp"

#include "sign/in_toto.hpp"

#include "base/error.hpp"
#include "pkg/package_ref.hpp"
#include "registry/reference.hpp"
#include "sign/package_policy.hpp"
#include "store/write_batch.hpp"

namespace sheaf::pipeline {

namespace {

// The referrer that carries one envelope (or, with its own media type, an
// unsigned in-toto statement): an artifact of that media type, its config
// the empty descriptor, its one layer the document.
std::string envelope_artifact(const oci::Descriptor& subject, const std::string& envelope,
                              std::string_view media_type = sign::kEnvelopeMediaType) {
  const std::string empty = "{}";
  oci::ImageManifest manifest;
  manifest.artifact_type = std::string(media_type);
  manifest.config = {std::string(oci::kMediaTypeEmpty), Digest::of(empty), empty.size(), {}, std::nullopt, ""};
  manifest.layers.push_back({std::string(media_type), Digest::of(envelope), envelope.size(), {}, std::nullopt, ""});
  manifest.subject = oci::Descriptor{subject.media_type, subject.digest, subject.size, {}, std::nullopt, ""};
  return oci::render(manifest);
}

sign::PackageStatement statement_of(const store::PackageRecord& record) {
  return {record.id, record.name, record.version, record.arch};
}

std::string claimed_keyid(const std::string& envelope, const std::string& where) {
  sign::Envelope parsed = sign::parse_envelope(envelope, where);
  return parsed.signatures.front().keyid;
}

}  // namespace

PackageSignResult sign_package(Session& session, const PackageSignOptions& options) {
  store::LocalStore& store = session.store();
  pkg::ResolvedPackage resolved = pkg::resolve_package(store.index(), options.package);
  if (!resolved.note.empty()) session.reporter().note(resolved.note);
  const store::PackageRecord& record = resolved.record;
  sign::PrivateKey key = sign::load_private_key(options.key, options.passphrase.given, options.passphrase.ask);
  PackageSignResult result{record.name, record.version, record.id, {}, key.public_key().key_id()};
  const std::string envelope = sign::render_envelope(sign::sign_package(statement_of(record), key));
  auto batch = store.begin_write();
  result.envelope = batch->add_blob(envelope);
  batch->commit([&](store::Index::Transaction& t) { t.add_package_signature(record.id, result.envelope.str(), result.key_id); });
  return result;
}

PackageSignatureArtifacts package_signature_artifacts(store::LocalStore& store, const std::string& id,
                                                      const oci::Descriptor& subject) {
  PackageSignatureArtifacts out;
  const std::string empty = "{}";
  for (const auto& s : store.index().package_signatures(id)) {
    auto digest = Digest::parse(s.blob);
    auto bytes = digest ? store.read_blob(*digest) : std::nullopt;
    if (!bytes) fail("the store lacks the signature {} of the package {} (sheaf store verify)", s.blob, id);
    if (out.blobs.empty()) out.blobs.push_back({Digest::of(empty), empty.size(), empty, "the empty config"});
    out.blobs.push_back({*digest, bytes->size(), *bytes, "a package signature"});
    out.referrers.push_back({envelope_artifact(subject, *bytes), std::string(sign::kEnvelopeMediaType)});
  }
  // The provenance of a recipe build: an envelope when it was signed, else
  // the statement itself, as application/vnd.in-toto+json.
  for (const auto& b : store.index().package_build_blobs(id)) {
    if (b.role != "provenance") continue;
    auto digest = Digest::parse(b.blob);
    auto bytes = digest ? store.read_blob(*digest) : std::nullopt;
    if (!bytes) fail("the store lacks the provenance {} of the package {} (sheaf store verify)", b.blob, id);
    std::string_view type = sign::is_envelope(*bytes) ? sign::kEnvelopeMediaType : sign::kInTotoPayloadType;
    if (out.blobs.empty()) out.blobs.push_back({Digest::of(empty), empty.size(), empty, "the empty config"});
    out.blobs.push_back({*digest, bytes->size(), *bytes, "a provenance statement"});
    out.referrers.push_back({envelope_artifact(subject, *bytes, type), std::string(type)});
  }
  return out;
}

std::vector<std::string> fetch_package_signatures(registry::Registry& registry, const registry::Reference& ref,
                                                  const Digest& artifact, const std::string& label) {
  std::vector<std::string> out;
  for (const auto& d : find_referrers(registry, ref, artifact, sign::kEnvelopeMediaType, label)) {
    auto fetched = registry.get_manifest(ref.repository, d.digest.str());
    if (!fetched) continue;  // listed, but gone
    const std::string where = fmt::format("{} (signature {})", label, d.digest.str());
    oci::ImageManifest m = oci::parse_manifest(fetched->bytes, where);
    if (m.artifact_type != sign::kEnvelopeMediaType || !m.subject || m.subject->digest != artifact ||
        m.layers.size() != 1 || m.layers.front().media_type != sign::kEnvelopeMediaType) {
      continue;  // not a package signature of this artifact
    }
    if (m.layers.front().size > kMaxEnvelope) {
      fail("{}: the envelope is {} bytes, over the limit of {}", where, m.layers.front().size, kMaxEnvelope);
    }
    std::string envelope = registry.get_blob_bytes(ref.repository, m.layers.front().digest, m.layers.front().size, kMaxEnvelope);
    sign::Envelope parsed = sign::parse_envelope(envelope, where);
    // Package signatures, and in-toto statements (rebuild attestations,
    // signed provenance): the store keeps them together, the policy tells
    // them apart.
    if (parsed.payload_type != sign::kPackageSignatureType && parsed.payload_type != sign::kInTotoPayloadType) continue;
    out.push_back(std::move(envelope));
  }
  return out;
}

PackageSignatureRows::PackageSignatureRows(store::WriteBatch& batch, const std::vector<std::string>& envelopes) {
  for (const auto& e : envelopes) rows_.emplace_back(batch.add_blob(e), claimed_keyid(e, "a package signature"));
}

void PackageSignatureRows::record(store::Index::Transaction& transaction, const std::string& package) const {
  for (const auto& [blob, keyid] : rows_) transaction.add_package_signature(package, blob.str(), keyid);
}

std::vector<sign::Envelope> stored_package_signatures(store::LocalStore& store, const std::string& id) {
  std::vector<sign::Envelope> out;
  for (const auto& s : store.index().package_signatures(id)) {
    auto digest = Digest::parse(s.blob);
    auto bytes = digest ? store.read_blob(*digest) : std::nullopt;
    if (!bytes) fail("the store lacks the signature {} of the package {} (sheaf store verify)", s.blob, id);
    out.push_back(sign::parse_envelope(*bytes, s.blob));
  }
  return out;
}

void check_package_policy(Session& session, const repo::Lockfile& lock,
                          const std::optional<std::filesystem::path>& policy_file) {
  std::optional<sign::PackagePolicy> policy = sign::load_package_policy(policy_file);
  if (!policy) return;
  store::LocalStore& store = session.store();
  for (const auto& locked : lock.packages) {
    if (!locked.from_registry()) continue;
    registry::Reference ref = registry::parse_reference(locked.registry);
    const std::string identity = ref.str().substr(registry::kTransport.size());
    const sign::PackageScope* scope = sign::find_package_scope(*policy, identity);
    if (!scope || (scope->keys.empty() && scope->rebuilders.empty())) continue;
    auto record = store.index().package(locked.id.str());
    if (!record) fail("the store lacks the locked package {} {} ({})", locked.name, locked.version, locked.id.str());
    sign::PackageCheck check = sign::check_package(*scope, statement_of(*record), stored_package_signatures(store, record->id));
    if (!check.accepted) {
      // The registry may list signatures the store has not seen (pushed
      // after the package was pulled): take them, and look again.
      registry::Reference artifact{ref.host, ref.repository, std::nullopt, locked.manifest};
      registry::Registry client(ref.host, session.registry_options());
      std::vector<std::string> fetched = with_context(
          fmt::format("while reading the signatures of {} {} from {}", locked.name, locked.version, locked.registry),
          [&] { return fetch_package_signatures(client, artifact, locked.manifest, locked.registry); });
      if (!fetched.empty()) {
        auto batch = store.begin_write();
        PackageSignatureRows rows(*batch, fetched);
        batch->commit([&](store::Index::Transaction& t) { rows.record(t, record->id); });
        check = sign::check_package(*scope, statement_of(*record), stored_package_signatures(store, record->id));
      }
    }
    if (!check.accepted) {
      std::vector<std::string> needs;
      if (check.signed_by.size() < scope->require) {
        std::vector<std::string> keys;
        for (const auto& k : scope->keys) keys.push_back(k.string());
        needs.push_back(
            fmt::format("signatures by {} of {} and has {}; missing: {}",
                        scope->require == scope->keys.size() ? std::string("all") : std::to_string(scope->require),
                        fmt::join(keys, ", "),
                        check.signed_by.empty() ? "none" : fmt::format("{}", fmt::join(check.signed_by, ", ")),
                        fmt::join(check.missing, ", ")));
      }
      if (check.rebuilt_by.size() < scope->rebuilds) {
        std::vector<std::string> keys;
        for (const auto& k : scope->rebuilders) keys.push_back(k.string());
        needs.push_back(fmt::format(
            "equal rebuilds attested by {} of {} and has {}; missing: {} (sheaf rebuild --attest)",
            scope->rebuilds == scope->rebuilders.size() ? std::string("all") : std::to_string(scope->rebuilds),
            fmt::join(keys, ", "),
            check.rebuilt_by.empty() ? "none" : fmt::format("{}", fmt::join(check.rebuilt_by, ", ")),
            fmt::join(check.rebuild_missing, ", ")));
      }
      fail("the registry package {} {} ({}) is refused by the package policy {} (scope {} at {}): it needs {}",
           locked.name, locked.version, locked.registry, policy->file.string(), quote(scope->prefix), scope->where,
           fmt::join(needs, "; and it needs "));
    }
  }
}

}  // namespace sheaf::pipeline
