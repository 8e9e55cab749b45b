#include "deb/program_needs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "deb/essential.hpp"

namespace sheaf::deb {
namespace {

TEST(ProgramNeeds, InterpretersAsWritten) {
  EXPECT_EQ(interpreter_needs("#!/bin/sh -e\necho"), std::vector<std::string>{"/bin/sh"});
  EXPECT_EQ(interpreter_needs("#! /usr/bin/perl -w\n"), std::vector<std::string>{"/usr/bin/perl"});
  EXPECT_EQ(interpreter_needs("#!/usr/bin/env python3\n"),
            (std::vector<std::string>{"/usr/bin/env", "command:python3"}));
  EXPECT_EQ(interpreter_needs("#!/bin/env -S perl -w\n"), (std::vector<std::string>{"/bin/env", "command:perl"}));
  EXPECT_TRUE(interpreter_needs("#!python\n").empty());
  EXPECT_TRUE(interpreter_needs("\x7f" "ELF").empty());
}

TEST(ProgramNeeds, TheCommandsAShellScriptRunsByName) {
  auto names = shell_script_commands(
      "#!/bin/sh\n"
      "set -e\n"
      "helper() { mkdir -p \"$1\"; }\n"
      "helper /run/x\n"
      "id=$(id -u)\n"
      "if [ \"$id\" -eq 0 ]; then chown root /run/x; fi\n"
      "\"$APACHE_HTTPD\" -t\n"
      "/usr/sbin/apache2 -v | grep -q Apache\n"
      "cat <<END | sed 's/a/b/'\n"
      "text\n"
      "END\n");
  EXPECT_EQ(names, (std::vector<std::string>{"/usr/sbin/apache2", "cat", "chown", "grep", "id", "mkdir", "sed"}));
  EXPECT_TRUE(shell_script_commands("if then fi fi\n").empty()) << "a script that does not parse";
}

// A real program of the host: python3 calls system(3) (os.system; its
// os.popen is subprocess, not popen(3)). A text file is no program.
TEST(ProgramNeeds, ElfProgramsThatRunTheShell) {
  std::string python = "/usr/bin/python3";
  if (!std::filesystem::exists(python)) GTEST_SKIP() << "no python3 on this host";
  int fd = ::open(std::filesystem::canonical(python).c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto imports = elf_program_imports(fd, {"popen", "system", "no_such_symbol"});
  ::close(fd);
  ASSERT_TRUE(imports.has_value());
  EXPECT_EQ(*imports, (std::vector<std::string>{"system"}));
  int text = ::open("/etc/os-release", O_RDONLY | O_CLOEXEC);
  EXPECT_FALSE(elf_program_imports(text, {"system"}).has_value());
  ::close(text);
}

TEST(ProgramNeeds, EssentialProvidersAndImplicitPackages) {
  EXPECT_EQ(essential_provider("/usr/bin/sh"), "dash");
  EXPECT_EQ(essential_provider("/usr/bin/perl"), "perl-base");
  EXPECT_EQ(essential_provider("command:sed"), "sed");
  EXPECT_EQ(essential_provider("command:mktemp"), "coreutils");
  EXPECT_EQ(essential_provider("command:hostname"), "hostname");
  EXPECT_EQ(essential_provider("command:python3"), std::nullopt);
  EXPECT_EQ(essential_provider("/opt/bin/sh"), std::nullopt);
  auto implicit = implicit_packages({{"LANG", "C.UTF-8"}, {"LC_ALL", "C.utf8"}, {"PATH", "/bin"}});
  ASSERT_EQ(implicit.size(), 1u);
  EXPECT_EQ(implicit[0].name, "libc-bin");
  EXPECT_TRUE(implicit_packages({{"LANG", "en_US.UTF-8"}}).empty());
  EXPECT_EQ(locale_package("en_US.UTF-8"), "locales-all");
  EXPECT_EQ(locale_package("POSIX"), std::nullopt);
}

}  // namespace
}  // namespace sheaf::deb
