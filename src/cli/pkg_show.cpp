// sheaf pkg show NAME[@VERSION]|ID: one package in full.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "cli/context.hpp"
#include "pkg/derived.hpp"
#include "pkg/package.hpp"
#include "sign/dsse.hpp"
#include "sign/in_toto.hpp"

namespace sheaf::cli {

namespace {

struct PkgShowArgs {
  std::string ref;
  bool json = false;
  std::string script;  // print this maintainer script instead
};

// `--script NAME`: the script as the .deb shipped it, from its stored blob.
void print_script(store::LocalStore& store, const store::PackageRecord& record, const pkg::PackageMetadata& metadata,
                  const std::string& name) {
  std::string label = fmt::format("{} {}", record.name, record.version);
  if (!metadata.scripts) {
    if (metadata.skipped_scripts.empty()) fail("{} has no maintainer scripts", label);
    fail("the store did not keep the maintainer scripts of {} (it was imported by an older sheaf); "
         "import its .deb again to keep them",
         label);
  }
  auto bytes = store.read_blob(*metadata.scripts);
  if (!bytes) fail("the maintainer scripts of {} are missing from the store (run 'sheaf store verify')", label);
  std::vector<std::string> names;
  for (auto& s : pkg::parse_scripts_document(*bytes, label + ": maintainer scripts")) {
    if (s.name == name) {
      fmt::print("{}", s.text);
      return;
    }
    names.push_back(s.name);
  }
  fail_usage("{} has no {} script; it has: {}", label, quote(name), fmt::join(names, ", "));
}

void pkg_show_command(Context& context, const PkgShowArgs& options) {
  auto store = context.open_store();
  store::PackageRecord record = resolve_package_ref(*store, options.ref);

  auto document = store->read_blob(*Digest::parse(record.id));
  if (!document) fail("the document of {} is missing from the store (run 'sheaf store verify')", record.id);
  pkg::Package package = pkg::Package::from_document(*document, record.id);
  pkg::PackageMetadata metadata = pkg::PackageMetadata::from_json(record.metadata);
  std::vector<std::string> origins = store->index().origins(record.id);
  // The envelopes kept with the package, told apart by what they say; the
  // key ids are as the envelopes name them (sheaf build checks the
  // signatures themselves against the package policy's keys).
  std::vector<store::PackageSignature> signatures, rebuilds, provenance_envelopes;
  for (const auto& s : store->index().package_signatures(record.id)) {
    auto bytes = store->read_blob(*Digest::parse(s.blob));
    if (!bytes) fail("the envelope {} of {} is missing from the store (run 'sheaf store verify')", s.blob, record.id);
    switch (sign::envelope_kind(sign::parse_envelope(*bytes, s.blob))) {
      case sign::EnvelopeKind::rebuild_attestation:
        rebuilds.push_back(s);
        break;
      case sign::EnvelopeKind::provenance:  // pulled with the package
        provenance_envelopes.push_back(s);
        break;
      default:
        signatures.push_back(s);
    }
  }
  // The provenance of a recipe build: the statement, signed or not.
  struct Provenance {
    std::string blob, signed_by;
    sign::Provenance statement;
  };
  std::vector<Provenance> provenance;
  for (const auto& b : store->index().package_build_blobs(record.id)) {
    if (b.role != "provenance") continue;
    auto bytes = store->read_blob(*Digest::parse(b.blob));
    if (!bytes) fail("the provenance {} of {} is missing from the store (run 'sheaf store verify')", b.blob, record.id);
    sign::KeptStatement kept = sign::open_statement(*bytes, b.blob);
    Provenance p{b.blob, kept.signed_by, sign::parse_provenance(kept.statement, b.blob)};
    provenance.push_back(std::move(p));
  }
  if (!options.script.empty()) {
    print_script(*store, record, metadata, options.script);
    return;
  }

  std::vector<std::pair<std::string, std::string>> relations = {
      {"depends", package.depends.str()},   {"pre-depends", package.pre_depends.str()},
      {"provides", package.provides.str()}, {"conflicts", package.conflicts.str()},
      {"breaks", package.breaks.str()},     {"replaces", package.replaces.str()},
  };

  if (options.json) {
    nlohmann::json out = package_json(*Digest::parse(record.id), package, metadata);
    out["entries"] = record.entries;
    out["size"] = record.size;
    out["origins"] = nlohmann::json::array();
    for (const auto& origin : origins) out["origins"].push_back(nlohmann::json::parse(origin));
    out["signatures"] = nlohmann::json::array();
    for (const auto& s : signatures) out["signatures"].push_back({{"keyid", s.keyid}, {"envelope", s.blob}});
    out["rebuilds"] = nlohmann::json::array();
    for (const auto& s : rebuilds) out["rebuilds"].push_back({{"keyid", s.keyid}, {"envelope", s.blob}});
    out["provenance"] = nlohmann::json::array();
    for (const auto& s : provenance_envelopes) {
      out["provenance"].push_back({{"blob", s.blob}, {"signed_by", s.keyid}, {"pulled", true}});
    }
    for (const auto& p : provenance) {
      nlohmann::json entry = {{"blob", p.blob},
                              {"key", p.statement.key},
                              {"inputs", p.statement.inputs.size()},
                              {"finished", p.statement.finished}};
      if (!p.signed_by.empty()) entry["signed_by"] = p.signed_by;
      out["provenance"].push_back(entry);
    }
    fmt::print("{}\n", out.dump(2));
    return;
  }
  auto line = [](std::string_view key, std::string_view value) { fmt::print("{:<12} {}\n", key, value); };
  line("id:", record.id);
  line("name:", record.name);
  line("version:", record.version);
  line("arch:", record.arch);
  line("fileset:", record.fileset);
  line("entries:", fmt::format("{} ({} of file content)", record.entries, human_bytes(record.size)));
  for (const auto& [key, value] : relations) {
    if (!value.empty()) line(key + ":", value);
  }
  line("license:", metadata.license);
  line("source:", fmt::format("{} {}", metadata.source_name, metadata.source_version));
  if (!metadata.homepage.empty()) line("homepage:", metadata.homepage);
  if (!metadata.maintainer.empty()) line("maintainer:", metadata.maintainer);
  if (!metadata.multi_arch.empty()) line("multi-arch:", metadata.multi_arch);
  if (metadata.essential) line("essential:", "yes");
  if (metadata.installed_size) line("installed:", fmt::format("{} KiB", *metadata.installed_size));
  if (!metadata.skipped_scripts.empty()) line("skipped:", fmt::format("{}", fmt::join(metadata.skipped_scripts, " ")));
  for (const auto& conffile : metadata.conffiles) line("conffile:", conffile);
  for (const auto& origin : origins) line("origin:", origin);
  for (const auto& s : signatures) line("signed by:", fmt::format("{} (envelope {})", s.keyid, s.blob));
  for (const auto& s : rebuilds) line("rebuilt by:", fmt::format("{}, equal (attestation {})", s.keyid, s.blob));
  for (const auto& s : provenance_envelopes) {
    line("provenance:", fmt::format("signed by {}, pulled with the package (envelope {})", s.keyid, s.blob));
  }
  for (const auto& p : provenance) {
    line("provenance:", fmt::format("built {:%Y-%m-%dT%H:%M:%SZ} by sheaf {} from {} inputs, key {} ({}{})",
                                    fmt::gmtime(static_cast<std::time_t>(p.statement.finished)),
                                    p.statement.builder_version, p.statement.inputs.size(), p.statement.key, p.blob,
                                    p.signed_by.empty() ? std::string(", unsigned") : ", signed by " + p.signed_by));
  }
  if (pkg::needs_derivation(record, metadata, store->index())) {
    line("effects:", "not derived by this sheaf yet (it was imported by an older one); the next build derives them");
  }
  for (const auto& effect : deb::describe_effects(metadata.effects)) line("effect:", effect);
  for (const auto& need : metadata.needs) {
    line("needs:", fmt::format("{} runs {} ({})", need.program, need.needs, need.why));
  }
}

}  // namespace

void register_pkg_show(CLI::App& pkg, Context& context) {
  auto options = std::make_shared<PkgShowArgs>();
  CLI::App* cmd = pkg.add_subcommand("show", "Show one package");
  cmd->footer(
      "PACKAGE is NAME (its highest version, by Debian ordering), NAME@VERSION,\n"
      "NAME:ARCH, sha256:<hex>, or an id prefix of at least 12 hex digits.");
  cmd->add_option("PACKAGE", options->ref, "The package")->required();
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->add_option("--script", options->script,
                  "Print one maintainer script (preinst, postinst, prerm, postrm, config, triggers) as shipped");
  cmd->callback([&context, options] { pkg_show_command(context, *options); });
}

}  // namespace sheaf::cli
