// Asio and Asio.SSL declarations used across mailharness. The implementation is compiled
// once in asio_impl.cpp (BOOST_ASIO_SEPARATE_COMPILATION), so including this is cheap.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>

namespace mh {
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
}  // namespace mh

// Toolchain rule (GCC 12, Debian 12): never write `co_await` inside a plain if/while
// condition (`if (!co_await f())`, `if (a && co_await f())`, `while (!(co_await f()).x)`):
// GCC 12 miscompiles it and resumes a stale frame once the awaited operation suspends.
// Await into a variable first: `if (auto ok = co_await f(); !ok)`. scripts/lint.sh checks.
