#include "deb/shell_filters.hpp"

#include <gtest/gtest.h>

#include <map>

namespace sheaf::deb {
namespace {

std::string out(const std::vector<std::string>& argv, const std::string& input,
                const std::map<std::string, std::string>& files = {}) {
  return run_filter(argv, input, [&](const std::string& path) -> std::optional<std::string> {
           auto it = files.find(path);
           if (it == files.end()) return std::nullopt;
           return it->second;
         }).output;
}

TEST(ShellFilters, SedSubstitutesWithBasicAndExtendedExpressions) {
  // libc6's preinst: a kernel version as arithmetic.
  EXPECT_EQ(out({"sed", "s/\\([0-9]*\\)\\.\\([0-9]*\\).*/\\1 \\* 100 + \\2/"}, "6.1.0\n"), "6 * 100 + 1\n");
  EXPECT_EQ(out({"sed", "-E", "s/([a-z]+)-([0-9]+)/\\2:\\1/g"}, "abc-1 de-22\n"), "1:abc 22:de\n");
  EXPECT_EQ(out({"sed", "s/o/0/2"}, "foo boo\n"), "fo0 boo\n");
  EXPECT_EQ(out({"sed", "s|/usr|&/local|"}, "/usr/bin\n"), "/usr/local/bin\n");
  // GNU's extensions to basic expressions: \+ \? \s, and literal + ? ( ).
  EXPECT_EQ(out({"sed", "s/^ii\\s\\+\\([a-z0-9]*\\).*/\\1/"}, "ii   libc6 2.36\n"), "libc6\n");
  EXPECT_EQ(out({"sed", "s/a+b/X/"}, "aab a+b\n"), "aab X\n");
  EXPECT_EQ(out({"sed", "-e", "s/a/b/", "-e", "s/b/c/"}, "a\n"), "c\n");
}

TEST(ShellFilters, SedAddressesRangesAndCommands) {
  std::string text = "# a\nx\n# b\ny\n";
  EXPECT_EQ(out({"sed", "/^#/d"}, text), "x\ny\n");
  EXPECT_EQ(out({"sed", "/^[a-z]/!d"}, text), "x\ny\n");
  EXPECT_EQ(out({"sed", "-n", "2p"}, text), "x\n");
  EXPECT_EQ(out({"sed", "-n", "$p"}, text), "y\n");
  EXPECT_EQ(out({"sed", "2,3d"}, text), "# a\ny\n");
  EXPECT_EQ(out({"sed", "/x/,/y/s/^/> /"}, text), "# a\n> x\n> # b\n> y\n");
  EXPECT_EQ(out({"sed", "2q"}, text), "# a\nx\n");
  // GNU's 0,/RE/: up to the first match, which may be line 1 (locales' postinst).
  EXPECT_EQ(out({"sed", "0,/^# a$/ s/^# a$/a/"}, "# a\n# a\n"), "a\n# a\n");
  EXPECT_EQ(out({"sed", "-n", "s/^port = //p"}, "port = 80\nhost = x\n"), "80\n");
}

TEST(ShellFilters, FiltersReadTheFilesTheyKnow) {
  std::map<std::string, std::string> files{{"/etc/a", "one\ntwo\n"}, {"/etc/b", "three\n"}};
  auto read = [&](const std::string& p) -> std::optional<std::string> {
    auto it = files.find(p);
    return it == files.end() ? std::nullopt : std::optional(it->second);
  };
  EXPECT_EQ(out({"cat", "/etc/a", "/etc/b"}, "", files), "one\ntwo\nthree\n");
  EXPECT_EQ(run_filter({"grep", "-q", "^two$", "/etc/a"}, "", read).status, 0);
  EXPECT_EQ(run_filter({"grep", "-q", "x", "/etc/unknown"}, "", read).status, 1) << "an unknown file matches nothing";
  EXPECT_EQ(out({"sed", "s/one/1/", "/etc/a"}, "", files), "1\ntwo\n");
  EXPECT_EQ(out({"sed", "s/one/1/", "/etc/unknown"}, "", files), "");
  EXPECT_EQ(out({"wc", "-l", "/etc/a"}, "", files), "2\n");
}

TEST(ShellFilters, GrepCutTrHeadTailSortUniq) {
  std::string lines = "b 2\na 1\nb 2\nc 3\n";
  EXPECT_EQ(out({"grep", "-v", "^b"}, lines), "a 1\nc 3\n");
  EXPECT_EQ(out({"grep", "--invert-match", "--regexp=^b"}, lines), "a 1\nc 3\n");
  EXPECT_EQ(out({"grep", "-c", "b"}, lines), "2\n");
  EXPECT_EQ(out({"grep", "-E", "^(a|c) "}, lines), "a 1\nc 3\n");
  EXPECT_EQ(out({"grep", "-F", "a 1"}, lines), "a 1\n");
  EXPECT_EQ(run_filter({"grep", "-q", "zzz"}, lines).status, 1);
  EXPECT_EQ(out({"cut", "-d", " ", "-f", "2"}, lines), "2\n1\n2\n3\n");
  EXPECT_EQ(out({"cut", "-c", "1-2"}, "abcd\n"), "ab\n");
  EXPECT_EQ(out({"tr", "a-z", "A-Z"}, "abc\n"), "ABC\n");
  EXPECT_EQ(out({"tr", "-d", "[:space:]"}, " a b\n"), "ab");
  EXPECT_EQ(out({"head", "-n", "1"}, lines), "b 2\n");
  EXPECT_EQ(out({"head", "-2"}, lines), "b 2\na 1\n");
  EXPECT_EQ(out({"tail", "-n", "1"}, lines), "c 3\n");
  EXPECT_EQ(out({"sort", "-u"}, lines), "a 1\nb 2\nc 3\n");
  EXPECT_EQ(out({"uniq"}, "x\nx\ny\n"), "x\ny\n");
}

TEST(ShellFilters, WhatIsNotModelledIsAnError) {
  EXPECT_THROW(run_filter({"sed", "y/abc/xyz/"}, "a\n"), FilterError);
  EXPECT_THROW(run_filter({"grep", "--perl-regexp", "x"}, "x\n"), FilterError);
  EXPECT_THROW(run_filter({"cut", "-f", "1", "-c", "2"}, "x\n"), FilterError);
  EXPECT_NO_THROW(run_filter({"sed", "y/abc/xyz/"}, "")) << "nothing in, nothing out";
  EXPECT_EQ(run_filter({"awk", "{print $1}"}, "a b\n").output, "") << "other filters print nothing";
}

}  // namespace
}  // namespace sheaf::deb
