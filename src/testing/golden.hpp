// Golden files: bytes that are identities, pinned in the repository.
//
// expect_golden() compares `actual` with the file under the source tree. Set
// SHEAF_UPDATE_GOLDEN=1 to rewrite the files instead, and explain the change
// in the commit: a changed golden file means changed ids.
#pragma once

#include <string>
#include <string_view>

namespace sheaf::testing {

// `relative` is relative to the repository root, e.g.
// "src/fileset/testdata/all-entry-types.fileset".
void expect_golden(std::string_view relative, const std::string& actual);

}  // namespace sheaf::testing
