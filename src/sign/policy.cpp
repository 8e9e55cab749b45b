#include "sign/policy.hpp"

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/base64.hpp"
#include "base/error.hpp"
#include "registry/reference.hpp"
#include "sign/gpg.hpp"
#include "sign/keys.hpp"
#include "sign/payload.hpp"
#include "sign/sigstore.hpp"

namespace sheaf::sign {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string quoted_key(std::string_view key) {
  return json(std::string(key)).dump(-1, ' ', false, json::error_handler_t::replace);
}

class Reader {
 public:
  explicit Reader(const fs::path& file) : file_(file.string()) {}

  [[noreturn]] void fail_at(const std::string& path, std::string_view problem) const {
    throw ParseError(fmt::format("{}: at {}", file_, path), problem);
  }

  // The object's keys must all be in `allowed`.
  void only(const json& object, const std::string& path, std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : object.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        fail_at(path, fmt::format("unknown field {} (this requirement takes {})", quoted_key(key),
                                  fmt::join(allowed, ", ")));
      }
    }
  }

  std::string string(const json& object, const std::string& path, const char* key) const {
    auto it = object.find(key);
    if (it == object.end()) fail_at(path, fmt::format("\"{}\" is missing", key));
    if (!it->is_string()) fail_at(path, fmt::format("\"{}\" must be a string", key));
    return it->get<std::string>();
  }

  SignedIdentity identity(const json& value, const std::string& path) const {
    if (!value.is_object()) fail_at(path, "signedIdentity must be an object");
    std::string type = string(value, path, "type");
    SignedIdentity id;
    if (type == "matchExact" || type == "matchRepoDigestOrExact" || type == "matchRepository") {
      only(value, path, {"type"});
      id.rule = type == "matchExact"               ? IdentityRule::match_exact
                : type == "matchRepository"        ? IdentityRule::match_repository
                                                   : IdentityRule::match_repo_digest_or_exact;
    } else if (type == "exactReference") {
      only(value, path, {"type", "dockerReference"});
      id.rule = IdentityRule::exact_reference;
      id.reference = string(value, path, "dockerReference");
      if (id.reference.find('@') == std::string::npos &&
          id.reference.find(':', id.reference.rfind('/') == std::string::npos ? 0 : id.reference.rfind('/')) ==
              std::string::npos) {
        fail_at(path, fmt::format("dockerReference {} must name a tag or a digest", quoted_key(id.reference)));
      }
    } else if (type == "exactRepository") {
      only(value, path, {"type", "dockerRepository"});
      id.rule = IdentityRule::exact_repository;
      id.repository = string(value, path, "dockerRepository");
    } else if (type == "remapIdentity") {
      only(value, path, {"type", "prefix", "signedPrefix"});
      id.rule = IdentityRule::remap_identity;
      id.prefix = string(value, path, "prefix");
      id.signed_prefix = string(value, path, "signedPrefix");
    } else {
      fail_at(path, fmt::format("unknown signedIdentity type {} (matchExact, matchRepoDigestOrExact, "
                                "matchRepository, exactReference, exactRepository or remapIdentity)",
                                quoted_key(type)));
    }
    return id;
  }

  Requirement requirement(const json& value, const std::string& path) const {
    if (!value.is_object()) fail_at(path, "a requirement must be an object");
    Requirement r;
    r.where = fmt::format("{}: at {}", file_, path);
    std::string type = string(value, path, "type");
    if (type == "insecureAcceptAnything") {
      only(value, path, {"type"});
      r.type = RequirementType::insecure_accept_anything;
    } else if (type == "reject") {
      only(value, path, {"type"});
      r.type = RequirementType::reject;
    } else if (type == "signedBy") {
      only(value, path, {"type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"});
      r.type = RequirementType::signed_by;
      r.key_type = string(value, path, "keyType");
      if (r.key_type != "GPGKeys" && r.key_type != "X509Certificates" && r.key_type != "signedByGPGKeys" &&
          r.key_type != "signedByX509CAs") {
        fail_at(path, fmt::format("unknown keyType {}", quoted_key(r.key_type)));
      }
      int given = value.contains("keyPath") + value.contains("keyPaths") + value.contains("keyData");
      if (given != 1) {
        fail_at(path, given == 0 ? "signedBy needs keyPath, keyPaths or keyData"
                                 : "signedBy takes only one of keyPath, keyPaths and keyData");
      }
      if (value.contains("keyPath")) r.key_paths.push_back(string(value, path, "keyPath"));
      if (auto paths = value.find("keyPaths"); paths != value.end()) {
        if (!paths->is_array() || paths->empty()) fail_at(path, "keyPaths must be a non-empty list of paths");
        for (const auto& p : *paths) {
          if (!p.is_string()) fail_at(path, "keyPaths must be a list of strings");
          r.key_paths.push_back(p.get<std::string>());
        }
      }
      if (value.contains("keyData")) r.key_datas.push_back(key_data(string(value, path, "keyData"), path, "keyData"));
      if (auto id = value.find("signedIdentity"); id != value.end()) r.identity = identity(*id, path + ".signedIdentity");
    } else if (type == "sigstoreSigned") {
      only(value, path, {"type", "keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki", "rekorPublicKeyPath",
                         "rekorPublicKeyPaths", "rekorPublicKeyData", "rekorPublicKeyDatas", "signedIdentity"});
      r.type = RequirementType::sigstore_signed;
      int given = value.contains("keyPath") + value.contains("keyPaths") + value.contains("keyData") +
                  value.contains("keyDatas") + value.contains("fulcio") + value.contains("pki");
      if (given != 1) {
        fail_at(path, given == 0 ? "sigstoreSigned needs keyPath, keyPaths, keyData, keyDatas, fulcio or pki"
                                 : "sigstoreSigned takes only one of keyPath, keyPaths, keyData, keyDatas, fulcio "
                                   "and pki");
      }
      if (value.contains("keyPath")) r.key_paths.push_back(string(value, path, "keyPath"));
      if (auto paths = value.find("keyPaths"); paths != value.end()) {
        if (!paths->is_array() || paths->empty()) fail_at(path, "keyPaths must be a non-empty list of paths");
        for (const auto& p : *paths) {
          if (!p.is_string()) fail_at(path, "keyPaths must be a list of strings");
          r.key_paths.push_back(p.get<std::string>());
        }
      }
      if (value.contains("keyData")) r.key_datas.push_back(key_data(string(value, path, "keyData"), path, "keyData"));
      if (auto datas = value.find("keyDatas"); datas != value.end()) {
        if (!datas->is_array() || datas->empty()) fail_at(path, "keyDatas must be a non-empty list");
        for (const auto& d : *datas) {
          if (!d.is_string()) fail_at(path, "keyDatas must be a list of base64 strings");
          r.key_datas.push_back(key_data(d.get<std::string>(), path, "keyDatas"));
        }
      }
      for (const char* field : {"fulcio", "pki", "rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData",
                                "rekorPublicKeyDatas"}) {
        if (value.contains(field)) r.unsupported.emplace_back(field);
      }
      if (auto id = value.find("signedIdentity"); id != value.end()) r.identity = identity(*id, path + ".signedIdentity");
    } else {
      fail_at(path, fmt::format("unknown requirement type {} (insecureAcceptAnything, reject, signedBy, "
                                "sigstoreSigned)",
                                quoted_key(type)));
    }
    return r;
  }

  std::string key_data(const std::string& text, const std::string& path, const char* field) const {
    auto decoded = base64_decode(text);
    if (!decoded) fail_at(path, fmt::format("{} is not base64", field));
    return std::move(*decoded);
  }

  std::vector<Requirement> requirements(const json& value, const std::string& path) const {
    if (!value.is_array()) fail_at(path, "must be a list of requirements");
    if (value.empty()) fail_at(path, "a list of requirements must not be empty");
    std::vector<Requirement> out;
    for (std::size_t i = 0; i < value.size(); ++i) out.push_back(requirement(value[i], fmt::format("{}[{}]", path, i)));
    return out;
  }

 private:
  std::string file_;
};

std::string line_column(std::string_view text, std::size_t byte) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < std::min(byte, text.size()); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("{}:{}", line, column);
}

// A docker reference without its transport, split as containers/image's
// reference package does.
struct DockerName {
  std::string name;  // HOST/REPO
  std::optional<std::string> tag;
  std::optional<std::string> digest;
  std::string str() const { return name + (digest ? "@" + *digest : tag ? ":" + *tag : ""); }
};

std::optional<DockerName> split_docker(std::string_view text) {
  DockerName out;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    out.digest = std::string(rest.substr(at + 1));
    if (!Digest::parse(*out.digest)) return std::nullopt;
    rest = rest.substr(0, at);
  } else {
    std::size_t slash = rest.rfind('/');
    std::size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
      out.tag = std::string(rest.substr(colon + 1));
      rest = rest.substr(0, colon);
    }
  }
  if (rest.empty() || rest.find('/') == std::string_view::npos) return std::nullopt;
  try {
    (void)registry::parse_reference(std::string(registry::kTransport) + std::string(rest));
  } catch (const Error&) {
    return std::nullopt;
  }
  out.name = std::string(rest);
  return out;
}

bool exact(const DockerName& a, const DockerName& b) {
  if ((!a.tag && !a.digest) || (!b.tag && !b.digest)) return false;  // a name alone is never exact
  return a.str() == b.str();
}

bool has_prefix(const std::string& name, const std::string& prefix) {
  if (name.size() < prefix.size()) return false;
  if (name.size() == prefix.size()) return name == prefix;
  return name.starts_with(prefix) && name[prefix.size()] == '/';
}

std::string read_file(const fs::path& path, const std::string& where) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot read the key file {}: {}", where, quote(path.string()), std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string scope_label(const std::string& transport, const std::string& scope) {
  return fmt::format("transports.{}[{}]", transport, quoted_key(scope));
}

// Checks `count` signatures; the requirement holds when one is accepted
// (its signer joins the decision). Returns the reason when none is.
std::optional<std::string> accept_one(const std::string& requirement, std::string_view kind, std::size_t count,
                                      Decision& decision, const std::function<SignatureCheck(std::size_t)>& check_one) {
  std::vector<std::string> problems;
  bool accepted = false;
  for (std::size_t i = 0; i < count; ++i) {
    SignatureCheck c = check_one(i);
    if (!c.accepted) {
      problems.push_back(fmt::format("{} {}: {}", kind, i + 1, c.problem));
      continue;
    }
    accepted = true;
    decision.signers.push_back(c.signer);
  }
  if (accepted) return std::nullopt;
  return fmt::format("{} accepts none of the {} {}{}: {}", requirement, count, kind, count == 1 ? "" : "s",
                     fmt::join(problems, "; "));
}

// A sigstoreSigned requirement; returns the reason when it refuses.
std::optional<std::string> check_sigstore(const Requirement& r, const Subject& subject, Decision& decision) {
  if (!r.unsupported.empty()) {
    fail("{} is refused: {} asks for {}, which sheaf does not check (it checks sigstore signatures against public "
         "keys: keyPath, keyPaths, keyData, keyDatas); it refuses the image rather than ignore the requirement",
         subject.label, r.where, fmt::join(r.unsupported, ", "));
  }
  std::vector<PublicKey> keys;
  std::vector<std::string> key_names;
  for (const auto& path : r.key_paths) {
    keys.push_back(PublicKey::from_pem(read_file(path, r.where), fmt::format("{} keyPath {}", r.where, path.string())));
    key_names.push_back(path.string());
  }
  for (const auto& data : r.key_datas) {
    keys.push_back(PublicKey::from_pem(data, r.where + " keyData"));
    key_names.push_back("keyData");
  }
  const std::string names = fmt::format("{}", fmt::join(key_names, ", "));
  if (subject.sigstore.empty()) {
    return fmt::format("sigstoreSigned ({}) needs a sigstore signature, and there is none{}", names,
                       subject.sigstore_from.empty() ? "" : " (looked in " + subject.sigstore_from + ")");
  }
  return accept_one(fmt::format("sigstoreSigned ({})", names), "sigstore signature", subject.sigstore.size(), decision,
                    [&](std::size_t i) {
                      return check_sigstore_signature(subject.sigstore[i], keys, subject.manifest, r.identity,
                                                      subject.identity);
                    });
}

// One requirement; returns the reason when it refuses.
std::optional<std::string> check(const Requirement& r, const Subject& subject, Decision& decision) {
  switch (r.type) {
    case RequirementType::insecure_accept_anything:
      return std::nullopt;
    case RequirementType::reject:
      return std::string("the policy rejects every image in this scope (reject)");
    case RequirementType::sigstore_signed:
      return check_sigstore(r, subject, decision);
    case RequirementType::signed_by:
      break;
  }
  if (r.key_type != "GPGKeys") {
    fail("{} is refused: {} asks for keyType {}, which sheaf does not implement (only GPGKeys)", subject.label,
         r.where, r.key_type);
  }
  std::string keyring;
  std::vector<std::string> key_names;
  for (const auto& path : r.key_paths) {
    keyring += binary_keyring(read_file(path, r.where), path.string());
    key_names.push_back(path.string());
  }
  for (const auto& data : r.key_datas) {
    keyring += binary_keyring(data, r.where + " keyData");
    key_names.push_back("keyData");
  }
  const std::string keys = fmt::format("{}", fmt::join(key_names, ", "));
  if (subject.signatures.empty()) {
    return fmt::format("signedBy ({}) needs a signature, and there is none{}", keys,
                       subject.signatures_from.empty() ? "" : " (looked in " + subject.signatures_from + ")");
  }
  return accept_one(fmt::format("signedBy ({})", keys), "signature", subject.signatures.size(), decision,
                    [&](std::size_t i) {
                      return check_signature(subject.signatures[i], keyring, subject.manifest, r.identity,
                                             subject.identity);
                    });
}

}  // namespace

std::string describe(IdentityRule rule) {
  switch (rule) {
    case IdentityRule::match_exact: return "matchExact";
    case IdentityRule::match_repo_digest_or_exact: return "matchRepoDigestOrExact";
    case IdentityRule::match_repository: return "matchRepository";
    case IdentityRule::exact_reference: return "exactReference";
    case IdentityRule::exact_repository: return "exactRepository";
    case IdentityRule::remap_identity: return "remapIdentity";
  }
  return "?";
}

Policy parse_policy(std::string_view text, const fs::path& file) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string message = e.what();
    if (auto colon = message.find(": "); colon != std::string::npos) message = message.substr(colon + 2);
    throw ParseError(fmt::format("{}:{}", file.string(), line_column(text, e.byte == 0 ? 0 : e.byte - 1)), message);
  } catch (const json::exception& e) {  // a number out of range, say
    std::string message = e.what();
    if (auto bracket = message.find("] "); bracket != std::string::npos) message = message.substr(bracket + 2);
    throw ParseError(file.string(), message);
  }
  Reader reader(file);
  if (!doc.is_object()) reader.fail_at("the top", "policy.json must hold an object");
  reader.only(doc, "the top", {"default", "transports"});
  Policy policy;
  policy.file = file;
  auto defaults = doc.find("default");
  if (defaults == doc.end()) reader.fail_at("the top", "\"default\" is missing (a list of requirements)");
  policy.defaults = reader.requirements(*defaults, "default");
  if (auto transports = doc.find("transports"); transports != doc.end()) {
    if (!transports->is_object()) reader.fail_at("transports", "must be an object of transports");
    for (const auto& [transport, scopes] : transports->items()) {
      const std::string path = "transports." + transport;
      if (!scopes.is_object()) reader.fail_at(path, "must be an object of scopes");
      std::vector<std::pair<std::string, std::vector<Requirement>>> entries;
      for (const auto& [scope, requirements] : scopes.items()) {
        const std::string scope_path = scope_label(transport, scope);
        if (transport == "docker" && scope.starts_with("docker://")) {
          reader.fail_at(scope_path, "a docker scope is written without docker:// (HOST[:PORT]/REPO[:TAG])");
        }
        entries.emplace_back(scope, reader.requirements(requirements, scope_path));
      }
      policy.transports.emplace_back(transport, std::move(entries));
    }
  }
  return policy;
}

std::optional<std::pair<fs::path, std::string>> read_config_file(const std::optional<fs::path>& explicit_file,
                                                                 const std::string& under_home,
                                                                 const fs::path& system_file, std::string_view what) {
  std::optional<fs::path> file = explicit_file;
  if (!file) {
    std::vector<fs::path> candidates;
    if (const char* home = std::getenv("HOME"); home && *home) candidates.push_back(fs::path(home) / under_home);
    candidates.push_back(system_file);
    for (const auto& candidate : candidates) {
      std::error_code ec;
      if (fs::exists(candidate, ec)) {
        file = candidate;
        break;
      }
    }
    if (!file) return std::nullopt;
  }
  std::ifstream in(*file, std::ios::binary);
  if (!in) fail("cannot read the {} {}: {}", what, quote(file->string()), std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return std::pair{*file, text.str()};
}

std::optional<Policy> load_policy(const std::optional<fs::path>& explicit_file) {
  auto found = read_config_file(explicit_file, ".config/containers/policy.json", "/etc/containers/policy.json",
                                "trust policy");
  if (!found) return std::nullopt;
  return parse_policy(found->second, found->first);
}

std::vector<std::string> scope_candidates(const std::string& transport, const std::string& identity) {
  std::vector<std::string> out;
  if (identity.empty()) return out;
  out.push_back(identity);
  if (transport == "docker") {
    auto name = split_docker(identity);
    if (!name) return out;
    std::string ns = name->name;
    if (ns != identity) out.push_back(ns);
    for (auto slash = ns.rfind('/'); slash != std::string::npos; slash = ns.rfind('/')) {
      ns = ns.substr(0, slash);
      out.push_back(ns);
    }
    // ns is now the host: *.DOMAIN wildcards, longest first.
    for (auto dot = ns.find('.'); dot != std::string::npos; dot = ns.find('.', dot + 1)) {
      out.push_back("*" + ns.substr(dot));
    }
  } else {
    std::string ns = identity.substr(0, identity.rfind(':') == std::string::npos ? identity.size() : identity.rfind(':'));
    if (ns != identity) out.push_back(ns);
    for (auto slash = ns.rfind('/'); slash != std::string::npos; slash = ns.rfind('/')) {
      ns = ns.substr(0, slash);
      out.push_back(ns);
    }
  }
  return out;
}

bool identity_matches(const SignedIdentity& rule, const std::string& image_text, const std::string& signed_text,
                      std::string* why) {
  auto say = [&](std::string text) {
    if (why) *why = std::move(text);
    return false;
  };
  auto signed_name = split_docker(signed_text);
  if (!signed_name) return say(fmt::format("its docker-reference {} is not a reference", quoted_key(signed_text)));
  const std::string rule_name = describe(rule.rule);
  auto mismatch = [&](const std::string& wanted) {
    return say(fmt::format("it is signed for {}, which {} does not accept for {}", signed_name->str(), rule_name, wanted));
  };
  switch (rule.rule) {
    case IdentityRule::exact_reference: {
      auto wanted = split_docker(rule.reference);
      if (!wanted) return say(fmt::format("exactReference {} is not a reference", quoted_key(rule.reference)));
      return exact(*wanted, *signed_name) || mismatch(wanted->str());
    }
    case IdentityRule::exact_repository: {
      auto wanted = split_docker(rule.repository);
      if (!wanted) return say(fmt::format("exactRepository {} is not a repository", quoted_key(rule.repository)));
      return wanted->name == signed_name->name || mismatch(wanted->name);
    }
    default:
      break;
  }
  std::optional<DockerName> image = split_docker(image_text);
  if (!image) {
    return say(fmt::format("{} compares the signature with the image's registry reference, and this image has "
                           "none (use exactReference or exactRepository for it)",
                           rule_name));
  }
  if (rule.rule == IdentityRule::remap_identity) {
    if (has_prefix(image->name, rule.prefix)) {
      auto remapped = split_docker(rule.signed_prefix + image->str().substr(rule.prefix.size()));
      if (!remapped) return say(fmt::format("remapIdentity gives no valid reference for {}", image->str()));
      image = remapped;
    }
  }
  switch (rule.rule) {
    case IdentityRule::match_exact:
      return exact(*image, *signed_name) || mismatch(image->str());
    case IdentityRule::match_repository:
      return image->name == signed_name->name || mismatch(image->name);
    default:  // matchRepoDigestOrExact, and remapIdentity after the remap
      if (image->digest) return image->name == signed_name->name || mismatch(image->name);
      return exact(*image, *signed_name) || mismatch(image->str());
  }
}

SignatureCheck check_signature(std::string_view signature, std::string_view keyring, const Digest& manifest,
                               const std::optional<SignedIdentity>& rule, const std::string& image_identity) {
  SignatureCheck c;
  Verification v = verify_signed_message(signature, keyring);
  if (!v.verified) {
    c.problem = v.problem;
    return c;
  }
  c.signer = v.verified->fingerprint;
  Payload payload;
  try {
    payload = parse_payload(v.verified->payload, "its payload");
  } catch (const ParseError& e) {
    c.problem = e.what();
    return c;
  }
  c.identity = payload.docker_reference;
  if (payload.manifest != manifest) {
    c.problem = fmt::format("it signs the manifest {}, not this image's {}", payload.manifest.str(), manifest.str());
    return c;
  }
  if (rule && !identity_matches(*rule, image_identity, payload.docker_reference, &c.problem)) return c;
  c.accepted = true;
  return c;
}

namespace {

// The requirements of the most specific scope that applies, and its label.
std::pair<const std::vector<Requirement>*, std::string> scope_for(const Policy& policy, const std::string& subject_transport,
                                                                  const std::string& identity) {
  for (const auto& [transport, scopes] : policy.transports) {
    if (transport != subject_transport) continue;
    std::vector<std::string> candidates = scope_candidates(transport, identity);
    candidates.push_back("");
    for (const auto& candidate : candidates) {
      for (const auto& [scope, list] : scopes) {
        if (scope == candidate) return {&list, scope_label(transport, scope)};
      }
    }
  }
  return {&policy.defaults, "default"};
}

bool needs(const Policy& policy, const std::string& transport, const std::string& identity, RequirementType type) {
  const auto* requirements = scope_for(policy, transport, identity).first;
  return std::any_of(requirements->begin(), requirements->end(), [&](const Requirement& r) { return r.type == type; });
}

}  // namespace

bool needs_simple_signatures(const Policy& policy, const std::string& transport, const std::string& identity) {
  return needs(policy, transport, identity, RequirementType::signed_by);
}

bool needs_sigstore_signatures(const Policy& policy, const std::string& transport, const std::string& identity) {
  return needs(policy, transport, identity, RequirementType::sigstore_signed);
}

SignatureCheck check_sigstore_signature(const SigstoreSignature& signature, const std::vector<PublicKey>& keys,
                                        const Digest& manifest, const std::optional<SignedIdentity>& rule,
                                        const std::string& image_identity) {
  SignatureCheck c;
  const std::string base64 = signature.signature_base64();
  if (base64.empty()) {
    c.problem = fmt::format("it has no {} annotation", kSigstoreSignatureAnnotation);
    return c;
  }
  auto raw = base64_decode(base64);
  if (!raw) {
    c.problem = "its signature is not base64";
    return c;
  }
  for (const auto& key : keys) {
    if (key.verify(signature.payload, *raw)) {
      c.signer = key.key_id();
      break;
    }
  }
  if (c.signer.empty()) {
    c.problem = keys.size() == 1 ? "it is not a signature of its payload by the trusted key"
                                 : fmt::format("it is not a signature of its payload by any of the {} trusted keys",
                                               keys.size());
    return c;
  }
  Payload payload;
  try {
    payload = parse_payload(signature.payload, "its payload", kSigstoreSignatureType);
  } catch (const ParseError& e) {
    c.problem = e.what();
    return c;
  }
  c.identity = payload.docker_reference;
  if (payload.manifest != manifest) {
    c.problem = fmt::format("it signs the manifest {}, not this image's {}", payload.manifest.str(), manifest.str());
    return c;
  }
  if (rule && !identity_matches(*rule, image_identity, payload.docker_reference, &c.problem)) return c;
  c.accepted = true;
  return c;
}

Decision evaluate(const Policy& policy, const Subject& subject) {
  Decision decision;
  auto [requirements, scope] = scope_for(policy, subject.transport, subject.identity);
  decision.scope = scope;
  std::vector<std::string> reasons;
  for (const auto& r : *requirements) {
    if (auto reason = check(r, subject, decision)) reasons.push_back(*reason);
  }
  decision.accepted = reasons.empty();
  decision.reason = fmt::format("{}", fmt::join(reasons, "; and "));
  return decision;
}

}  // namespace sheaf::sign
