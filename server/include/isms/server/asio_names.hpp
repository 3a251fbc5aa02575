#pragma once
// The short names for Asio and Beast that every translation unit speaking
// them uses (the server's transport, the test clients, the benchmark
// clients), spelled once. Bring them in with
// `using namespace isms::asio_names;` inside the file's own namespace.
//
// Thread-safety: names only.

#include <boost/asio/ip/tcp.hpp>

namespace boost::beast::http {}
namespace boost::beast::websocket {}

namespace isms::asio_names {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

}  // namespace isms::asio_names
