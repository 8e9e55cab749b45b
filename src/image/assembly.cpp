#include "image/assembly.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <set>

#include "base/error.hpp"
#include "deb/merged_usr.hpp"
#include "image/java_keystore.hpp"
#include "image/ld_cache.hpp"

namespace sheaf::image {

using fileset::Entry;
using fileset::EntryType;

namespace {

struct Builder {
  std::vector<Entry> entries;
  std::map<Digest, std::string> contents;

  void file(std::string path, std::string content, std::uint32_t mode = 0644, std::uint32_t uid = 0,
            std::uint32_t gid = 0) {
    Entry e;
    e.path = std::move(path);
    e.type = EntryType::file;
    e.mode = mode;
    e.uid = uid;
    e.gid = gid;
    e.size = content.size();
    e.digest = Digest::of(content);
    contents.emplace(e.digest, std::move(content));
    entries.push_back(std::move(e));
  }
  void dir(std::string path, std::uint32_t mode, std::uint32_t uid = 0, std::uint32_t gid = 0) {
    Entry e;
    e.path = std::move(path);
    e.type = EntryType::dir;
    e.mode = mode;
    e.uid = uid;
    e.gid = gid;
    entries.push_back(std::move(e));
  }
  void symlink(std::string path, std::string target, std::uint32_t uid = 0, std::uint32_t gid = 0) {
    Entry e;
    e.path = std::move(path);
    e.type = EntryType::symlink;
    e.mode = 0777;
    e.uid = uid;
    e.gid = gid;
    e.target = std::move(target);
    entries.push_back(std::move(e));
  }
};

void add_os_release(const OsRelease& os, const ImageTree& tree, Builder& b) {
  // etc/debian_version too: trivy (and cdxgen, which runs it) detect Debian
  // by that file alone, and without a detected OS they give the packages no
  // purl. base-files ships it with the point release; the major one is what
  // the suite tells.
  if (!tree.find("etc/debian_version") && !os.version_id.empty()) b.file("etc/debian_version", os.version_id + "\n");
  if (tree.find("etc/os-release") || tree.find("usr/lib/os-release")) return;  // base-files ships them
  std::string text = "PRETTY_NAME=\"Debian GNU/Linux";
  if (!os.version_id.empty()) text += fmt::format(" {}", os.version_id);
  text += fmt::format(" ({})\"\nNAME=\"Debian GNU/Linux\"\n", os.codename);
  if (!os.version_id.empty()) {
    text += fmt::format("VERSION_ID=\"{}\"\nVERSION=\"{} ({})\"\n", os.version_id, os.version_id, os.codename);
  }
  text += fmt::format("VERSION_CODENAME={}\nID=debian\n", os.codename);
  b.file("etc/os-release", std::move(text));
}

void add_merged_usr_links(const ImageTree& tree, Builder& b, std::vector<std::string>& notes) {
  std::vector<std::string> links;
  for (auto it = tree.claims().lower_bound("usr/"); it != tree.claims().end(); ++it) {
    const std::string& path = it->first;
    if (path.compare(0, 4, "usr/") != 0) break;
    std::string_view rest = std::string_view(path).substr(4);
    if (rest.find('/') != std::string_view::npos || it->second.entry->type != EntryType::dir) continue;
    if (!deb::is_merged_directory(rest) || tree.find(rest)) continue;
    b.symlink(std::string(rest), "usr/" + std::string(rest));
    links.emplace_back(rest);
  }
  if (!links.empty()) notes.push_back(fmt::format("merged-/usr links: {}", fmt::join(links, ", ")));
}

// A PEM certificate's OpenSSL subject-name hash ("%08lx", as `openssl
// rehash` names links) and its SHA-1 fingerprint; nullopt when the text is
// not one certificate.
struct CertificateHash {
  std::string subject_hash;
  std::string fingerprint;
};

std::optional<CertificateHash> certificate_subject_hash(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return std::nullopt;
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  ERR_clear_error();
  if (!cert) return std::nullopt;
  int ok = 0;
  unsigned long hash = X509_NAME_hash_ex(X509_get_subject_name(cert.get()), nullptr, nullptr, &ok);
  if (!ok) return std::nullopt;
  unsigned char sha1[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!X509_digest(cert.get(), EVP_sha1(), sha1, &length)) return std::nullopt;
  return CertificateHash{fmt::format("{:08x}", hash), std::string(reinterpret_cast<char*>(sha1), length)};
}

// update-ca-certificates' .pem name for a certificate file.
std::string pem_name(std::string_view crt_path) {
  std::string base(crt_path.substr(crt_path.rfind('/') + 1));
  if (base.size() > 4 && base.ends_with(".crt")) base.resize(base.size() - 4);
  for (char& c : base) {
    if (c == ' ' || c == ',') c = '_';
    if (c == '(' || c == ')') c = '=';
  }
  return base + ".pem";
}

// Makes the CA bundle and its links; returns each certificate by its .pem
// name, for the Java store.
std::map<std::string, std::string> add_ca_certificates(const ImageTree& tree, const ContentReader& read, Builder& b,
                                                       std::vector<std::string>& notes) {
  std::vector<std::pair<std::string, const Entry*>> certs;
  for (std::string_view root : {"usr/share/ca-certificates/", "usr/local/share/ca-certificates/"}) {
    std::vector<std::pair<std::string, const Entry*>> found;
    for (auto it = tree.claims().lower_bound(root); it != tree.claims().end(); ++it) {
      if (!it->first.starts_with(root)) break;
      const Entry* e = tree.resolve("/" + it->first);
      if (e && (e->type == EntryType::file || e->type == EntryType::hardlink) && it->first.ends_with(".crt")) {
        found.emplace_back(it->first, e);
      }
    }
    certs.insert(certs.end(), found.begin(), found.end());  // each root in byte order, system certs first
  }
  if (tree.find("etc/ssl/certs/ca-certificates.crt")) {
    notes.push_back("CA bundle: a package ships etc/ssl/certs/ca-certificates.crt; left as it is");
    return {};
  }
  std::string bundle;
  std::map<std::string, std::string> pems;  // NAME.pem -> the certificate it links to
  for (const auto& [path, entry] : certs) {
    const Entry* content = entry;
    if (entry->type == EntryType::hardlink) {
      const ImageTree::Claim* claim = tree.find(entry->target);
      if (!claim) continue;
      content = claim->entry;
    }
    std::string pem = read(*content);
    bundle += pem;
    if (!pem.empty() && pem.back() != '\n') bundle += '\n';
    std::string name = pem_name(path);
    if (pems.emplace(name, pem).second && !tree.find("etc/ssl/certs/" + name)) {
      b.symlink("etc/ssl/certs/" + name, "/" + path);
    }
  }
  b.file("etc/ssl/certs/ca-certificates.crt", std::move(bundle));
  // The subject-hash links `openssl rehash` adds (HASH.0 -> NAME.pem): the
  // .pem names in byte order, a certificate seen before skipped, a second
  // certificate with the same hash numbered .1, and so on.
  std::map<std::string, int> next_index;  // hash -> the next free suffix
  std::set<std::string> fingerprints;
  std::size_t links = 0;
  for (const auto& [name, pem] : pems) {
    auto hash = certificate_subject_hash(pem);
    if (!hash || !fingerprints.insert(hash->fingerprint).second) continue;
    std::string link = fmt::format("etc/ssl/certs/{}.{}", hash->subject_hash, next_index[hash->subject_hash]++);
    if (!tree.find(link)) b.symlink(link, name);
    links += 1;
  }
  notes.push_back(fmt::format("CA bundle: {} certificates, {} hash links", certs.size(), links));
  return pems;
}

// ca-certificates-java's store (image/java_keystore.hpp).
void add_java_keystore(const ImageTree& tree, const std::map<std::string, std::string>& pems, Builder& b,
                       std::vector<std::string>& notes) {
  if (tree.find("etc/ssl/certs/java/cacerts")) {
    notes.push_back("Java CA store: a package ships etc/ssl/certs/java/cacerts; left as it is");
    return;
  }
  std::vector<TrustedCertificate> certs;
  std::set<std::string> aliases;
  for (const auto& [name, pem] : pems) {
    auto der = pem_to_der(pem);
    if (!der) continue;
    std::string alias = "debian:" + java_lowercase(name);
    if (!aliases.insert(alias).second) continue;
    certs.push_back({alias, std::move(*der)});
  }
  std::size_t count = certs.size();
  b.file("etc/ssl/certs/java/cacerts", java_keystore(std::move(certs)));
  notes.push_back(fmt::format("Java CA store: etc/ssl/certs/java/cacerts, JKS, {} certificates", count));
}

}  // namespace

OsRelease os_release_for_suite(std::string_view suite) {
  std::string codename(suite.substr(0, suite.find('-')));
  static const std::map<std::string, std::string, std::less<>> kVersions = {
      {"buster", "10"}, {"bullseye", "11"}, {"bookworm", "12"}, {"trixie", "13"}, {"forky", "14"}};
  auto it = kVersions.find(codename);
  return {codename, it == kVersions.end() ? "" : it->second};
}

Assembly make_assembly(const spec::Spec& spec, const std::optional<OsRelease>& os, const ImageTree& tree,
                       const ContentReader& read, const AssemblyOptions& options) {
  Builder b;
  Assembly out;
  // The layout base-files (Essential) gives every Debian system, where no
  // member ships it: mount points a runtime needs even when the root is
  // read-only, the places daemons keep pid files, locks and temporary
  // files, and root's home. Modes as base-files has them.
  for (auto [path, mode] : {std::pair<const char*, std::uint32_t>{"dev", 0755}, {"proc", 0555}, {"sys", 0555},
                            {"tmp", 01777}, {"run", 0755}, {"run/lock", 01777}, {"root", 0700}, {"home", 0755}}) {
    if (!tree.find(path)) b.dir(path, mode);
  }
  if (tree.find("var")) {
    if (!tree.find("var/tmp")) b.dir("var/tmp", 01777);
    for (auto [path, target] : {std::pair<const char*, const char*>{"var/run", "/run"}, {"var/lock", "/run/lock"}}) {
      if (!tree.find(path)) b.symlink(path, target);
    }
  }
  add_merged_usr_links(tree, b, out.notes);
  EffectsOutcome effects = apply_effects({.spec = &spec,
                                          .tree = &tree,
                                          .base = b.entries,
                                          .members = options.members,
                                          .needs = options.needs,
                                          .diversions = options.diversions,
                                          .read = read});
  const AccountTable& accounts = effects.accounts;
  b.file("etc/passwd", accounts.passwd());
  b.file("etc/group", accounts.group_file());
  if (effects.shadow) {
    std::uint32_t shadow_gid = accounts.group("shadow") ? accounts.group("shadow")->id : 42;
    b.file("etc/shadow", accounts.shadow(), 0640, 0, shadow_gid);
    b.file("etc/gshadow", accounts.gshadow(), 0640, 0, shadow_gid);
  }
  if (os) add_os_release(*os, tree, b);
  // Owners are named "NAME VERSION".
  bool has_ca = std::any_of(tree.owners().begin(), tree.owners().end(),
                            [](const std::string& owner) { return owner.starts_with("ca-certificates "); });
  if (has_ca) {
    auto pems = add_ca_certificates(tree, read, b, out.notes);
    bool has_java = std::any_of(tree.owners().begin(), tree.owners().end(),
                                [](const std::string& owner) { return owner.starts_with("ca-certificates-java "); });
    if (has_java) add_java_keystore(tree, pems, b, out.notes);
  }
  if (!options.scratch.empty()) {
    if (auto cache = make_ld_so_cache(tree, read, options.arch, options.scratch, out.notes)) {
      b.file("etc/ld.so.cache", std::move(*cache));
    }
  }
  for (const auto& p : spec.paths) {
    std::string path = deb::merged_usr_path(relative_path(p.path));
    // The spec's entry replaces what the assembly would make there (the
    // nginx example declares /run, which base-files' layout has too).
    std::erase_if(b.entries, [&](const Entry& e) { return e.path == path; });
    switch (p.type) {
      case spec::PathEntry::Type::dir:
        b.dir(path, p.mode, p.uid, p.gid);
        break;
      case spec::PathEntry::Type::file:
        b.file(path, p.content, p.mode, p.uid, p.gid);
        break;
      case spec::PathEntry::Type::symlink:
        b.symlink(path, p.target, p.uid, p.gid);
        break;
    }
  }
  // What the maintainer scripts would have done, where the assembly's own
  // files (and the spec's [[paths]]) leave room.
  std::set<std::string> have;
  for (const auto& e : b.entries) have.insert(e.path);
  for (auto& e : effects.entries) {
    if (!have.insert(e.path).second) {
      out.notes.push_back(fmt::format("/{}: the assembly or [[paths]] makes it; a maintainer script's version is left out", e.path));
      effects.overrides.erase(e.path);
      continue;
    }
    b.entries.push_back(std::move(e));
  }
  for (auto& [digest, bytes] : effects.contents) b.contents.emplace(digest, std::move(bytes));
  // Parents that neither the packages nor [[paths]] supply: 0755, root, as a
  // package would ship them; ones the packages have are copied so the
  // entries stay identical.
  std::vector<Entry> parents;
  for (const auto& e : b.entries) {
    for (std::string_view parent = fileset::parent_path(e.path); !parent.empty();
         parent = fileset::parent_path(parent)) {
      if (!have.insert(std::string(parent)).second) break;
      if (const ImageTree::Claim* claim = tree.find(parent)) {
        parents.push_back(*claim->entry);
      } else {
        Entry d;
        d.path = std::string(parent);
        d.type = EntryType::dir;
        d.mode = 0755;
        parents.push_back(std::move(d));
      }
    }
  }
  b.entries.insert(b.entries.end(), parents.begin(), parents.end());
  out.manifest = with_context("while assembling the image's derived files",
                              [&] { return fileset::Manifest::from_entries(std::move(b.entries)); });
  out.contents = std::move(b.contents);
  out.notes.insert(out.notes.end(), effects.notes.begin(), effects.notes.end());
  out.warnings = std::move(effects.warnings);
  out.suggestions = std::move(effects.suggestions);
  out.overrides = std::move(effects.overrides);
  out.applied = std::move(effects.applied);
  return out;
}

}  // namespace sheaf::image
