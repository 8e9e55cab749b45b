// sheaf audit IMAGE --osv DIR [--json]  /  sheaf audit --all --osv DIR:
// findings from OSV advisories for the store's images (sbom/audit.hpp).
#include <fmt/format.h>

#include <cstdio>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "cli/context.hpp"
#include "image/image_index.hpp"
#include "image/image_ref.hpp"
#include "sbom/audit.hpp"

namespace sheaf::cli {

namespace {

using nlohmann::json;

struct AuditArgs {
  std::string image;
  std::string osv;
  std::string release;
  bool all = false;
  bool json = false;
  std::string platform;
};

void audit_command(Context& context, const AuditArgs& options) {
  if (options.all == !options.image.empty()) fail_usage("give an IMAGE or --all (not both)");
  auto store = context.open_store();
  auto& index = store->index();
  std::vector<store::ImageRecord> images;
  auto platform = platform_option(options.platform);
  if (options.all) {
    // Every image; an index's images are among them.
    for (auto& record : index.images()) {
      if (!record.is_index()) images.push_back(std::move(record));
    }
  } else if (auto named = image::resolve_image(index, options.image); named.is_index() && !platform) {
    for (auto& p : image::index_platforms(index, named)) images.push_back(std::move(p.record));
  } else {
    images.push_back(image::select_image(*store, named, platform, options.image));
  }

  // One reading of the advisories, and one auditor, per Debian release.
  std::map<std::string, std::pair<std::unique_ptr<sbom::OsvSet>, std::unique_ptr<sbom::Auditor>>> by_release;
  auto auditor_for = [&](const std::string& ecosystem) -> sbom::Auditor& {
    auto& slot = by_release[ecosystem];
    if (!slot.first) {
      slot.first = std::make_unique<sbom::OsvSet>(sbom::read_osv_dir(options.osv, ecosystem));
      for (const auto& problem : slot.first->problems) fmt::print(stderr, "warning: {}\n", problem);
      slot.second = std::make_unique<sbom::Auditor>(index, *slot.first);
    }
    return *slot.second;
  };

  json out = json::array();
  std::size_t findings = 0, audited = 0;
  for (const auto& record : images) {
    std::string ecosystem = options.release.empty() ? sbom::debian_ecosystem(record) : "Debian:" + options.release;
    if (ecosystem.empty()) {
      std::string message = fmt::format(
          "{} records no Debian release (it was built before images recorded one); "
          "give --release N",
          record.digest);
      if (!options.all) fail("{}", message);
      fmt::print(stderr, "warning: {}; skipped\n", message);
      continue;
    }
    ++audited;
    auto found = auditor_for(ecosystem).audit_image(record.digest);
    findings += found.size();
    if (options.json) {
      std::vector<std::string> tags;
      for (const auto& [name, tag] : index.image_tags(record.digest)) tags.push_back(name + ":" + tag);
      json list = json::array();
      for (const sbom::Finding* f : found) {
        list.push_back({{"id", f->id},
                        {"aliases", f->aliases},
                        {"package", f->package},
                        {"installed", f->installed},
                        {"source", f->source},
                        {"source_version", f->source_version},
                        {"fixed", f->fixed},
                        {"severity", f->severity},
                        {"summary", f->summary}});
      }
      out.push_back({{"image", record.digest}, {"tags", tags}, {"ecosystem", ecosystem}, {"findings", list}});
      continue;
    }
    // One write per image: --all may print hundreds of thousands of lines.
    std::string prefix = images.size() > 1 ? record.digest.substr(0, 19) + "  " : "";
    std::string text;
    for (const sbom::Finding* f : found) {
      fmt::format_to(std::back_inserter(text), "{}{}  {} {}  fixed: {}  severity: {}\n", prefix, f->id, f->package,
                     f->installed, f->fixed.empty() ? "-" : f->fixed, f->severity.empty() ? "-" : f->severity);
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  if (options.json) fmt::print("{}\n", out.dump(2));
  std::size_t records = 0, files = 0, problems = 0;
  for (const auto& [ecosystem, slot] : by_release) {
    records += slot.first->records.size();
    files = slot.first->files;
    problems += slot.first->problems.size();
  }
  fmt::print(stderr, "{} finding(s) in {} image(s); {} advisories for {} from {} files{}\n", findings, audited, records,
             by_release.size() == 1 ? by_release.begin()->first : fmt::format("{} releases", by_release.size()), files,
             problems ? fmt::format(", {} problem(s) reported above", problems) : "");
  if (findings > 0) context.exit_code = kExitFound;
}

}  // namespace

void register_audit(CLI::App& app, Context& context) {
  auto options = std::make_shared<AuditArgs>();
  CLI::App* cmd = app.add_subcommand("audit", "Match an image's packages against OSV advisories");
  cmd->footer(
      "Reads every *.json OSV record below --osv DIR and keeps those for the image's\n"
      "Debian release (\"Debian:12\"). A package matches by its source package, and\n"
      "its source version is checked against the record's versions list and\n"
      "ECOSYSTEM ranges (introduced, fixed, last_affected, limit) by Debian version\n"
      "ordering. Prints advisory, package, installed version, fixed version and\n"
      "severity. Exit 1 when there is a finding, 0 when there is none. A file that\n"
      "is not valid OSV, an unknown ecosystem or a bad version is reported as a\n"
      "warning naming the file, and the rest is audited. An image index is audited\n"
      "image by image (each platform's), or for the one --platform names.");
  cmd->add_option("IMAGE", options->image, "A digest (or 12+ hex digits), NAME[:TAG] or an OCI layout path");
  cmd->add_flag("--all", options->all, "Audit every image in the store");
  cmd->add_option("--osv", options->osv, "A directory of OSV JSON records")->required()->type_name("DIR");
  cmd->add_option("--release", options->release, "The Debian release, when the image records none (12)")
      ->type_name("N");
  cmd->add_flag("--json", options->json, "Print JSON");
  add_platform_option(cmd, options->platform, "Of an image index, audit only the image for this platform");
  cmd->callback([&context, options] { audit_command(context, *options); });
}

}  // namespace sheaf::cli
