// A thin RAII layer over the SQLite C API: a connection and prepared
// statements whose failures become sheaf Errors naming the database.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace sheaf::store {

class Database {
 public:
  // Opens (creating if needed) the database at `path`, with a busy timeout so
  // that concurrent sheaf processes wait for each other instead of failing.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows.
  void exec(std::string_view sql);
  std::int64_t changes() const;

  sqlite3* handle() const noexcept { return db_; }
  const std::string& path() const noexcept { return path_; }

  // Throws an Error for result code `rc`, with the connection's message.
  [[noreturn]] void fail(int rc, std::string_view doing) const;

 private:
  friend class Statement;
  // Prepared statements are kept for reuse, keyed by their SQL: preparing
  // costs more than running the small queries the index makes.
  sqlite3_stmt* acquire(std::string_view sql);
  void release(std::string_view sql, sqlite3_stmt* stmt);

  sqlite3* db_ = nullptr;
  std::string path_;
  std::map<std::string, std::vector<sqlite3_stmt*>, std::less<>> idle_;
};

class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1, as in SQLite.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);

  // Advances; true when a row is available, false when done.
  bool step();
  // Runs a statement that returns no rows.
  void run();
  void reset();

  std::string text(int column) const;
  std::int64_t integer(int column) const;

 private:
  Database& db_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace sheaf::store
