#pragma once
// What a subject of the approval pattern (reactions.hpp) records about its own
// approval: the request it put, and the outcome the approval came back with.
// Each subject aggregate declares these events under its own versioned type
// names, deriving from one shape here, so that one reader and one encoder
// serve every subject (domain/src/wire_fields.hpp).
//
// These events are the storage format: change them with care.
//
// Thread-safety: value types only.

#include <string>
#include <vector>

#include "isms/domain/reactions.hpp"

namespace isms::domain {

// The subject's content put to approval: data {content_hash, approval}.
struct approval_asked {
  std::string content_hash;  // of the content under approval
  approval_request approval;
  friend bool operator==(const approval_asked&, const approval_asked&) = default;
};

// The approval completed: data {approval_id, approvers, comment, content_hash}.
struct approval_granted {
  std::string approval_id;
  std::vector<std::string> approvers;
  std::string comment;
  std::string content_hash;  // of the content that took effect
  friend bool operator==(const approval_granted&, const approval_granted&) = default;
};

// The approval was rejected: data {approval_id, rejected_by, comment}.
struct approval_refused {
  std::string approval_id;
  std::string rejected_by;
  std::string comment;
  friend bool operator==(const approval_refused&, const approval_refused&) = default;
};

// The approval was rejected, naming who had approved before the rejection:
// data {approval_id, approvers, rejected_by, comment}.
struct approval_declined {
  std::string approval_id;
  std::vector<std::string> approvers;
  std::string rejected_by;
  std::string comment;
  friend bool operator==(const approval_declined&, const approval_declined&) = default;
};

}  // namespace isms::domain
