// libsolv's headers, for the repo module's own .cpp files only.
//
// libsolv is C, and its Solvable has a member named `requires`, a keyword in
// C++20. The member keeps its layout; only its spelling in this translation
// unit changes (to `requires_`). The C library headers libsolv pulls in are
// included first, so the macro never touches anything but libsolv.
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wkeyword-macro"
#endif
#define requires requires_
extern "C" {
#include <solv/evr.h>
#include <solv/knownid.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/problems.h>
#include <solv/repo.h>
#include <solv/repo_deb.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <solv/repodata.h>
#include <solv/rules.h>
#include <solv/selection.h>
#include <solv/solver.h>
#include <solv/transaction.h>
}
#undef requires
#if defined(__clang__)
#pragma clang diagnostic pop
#endif

namespace sheaf::repo {

// ISRELDEP and GETRELDEP as functions: the macros mix signed and unsigned
// arithmetic, which our warning flags reject in our own code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wconversion"
inline bool is_reldep(Id id) {
  return ISRELDEP(id);
}
inline Reldep* reldep_of(Pool* pool, Id id) {
  return GETRELDEP(pool, id);
}
inline void map_clear(Map* map, Id p) {
  MAPCLR(map, p);
}
#pragma GCC diagnostic pop

}  // namespace sheaf::repo
