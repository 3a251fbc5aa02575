# Writes OUT, a C++ source holding the bytes of VERIFY (verify.py) and GUIDE
# (AUDITORS.md): every evidence bundle ships them, so ismsd carries them.
function(bytes_of file var)
  file(READ "${file}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  set(${var} "${hex}" PARENT_SCOPE)
endfunction()
bytes_of("${VERIFY}" verify_bytes)
bytes_of("${GUIDE}" guide_bytes)
file(WRITE "${OUT}.tmp"
"// Generated from ops/evidence by server/embed_evidence_kit.cmake; do not edit.
#include \"isms/server/evidence.hpp\"

namespace isms::server {
namespace {
const unsigned char verify_py[] = {${verify_bytes} 0};
const unsigned char auditors_md[] = {${guide_bytes} 0};
}  // namespace

std::string_view evidence_verifier_py() {
  return {reinterpret_cast<const char*>(verify_py), sizeof verify_py - 1};
}
std::string_view evidence_auditors_md() {
  return {reinterpret_cast<const char*>(auditors_md), sizeof auditors_md - 1};
}

}  // namespace isms::server
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
