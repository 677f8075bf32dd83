// Awaiting a token from a token_manager inside a login coroutine without blocking the
// executor: when a token request is needed it runs on the manager's worker thread, and the
// coroutine resumes on its own executor with the result. Many coroutines awaiting the same
// manager share one request (the manager's single flight).
#pragma once

#include "net/asio.hpp"
#include "oauth/token_manager.hpp"

namespace mh {

net::awaitable<oauth::acquire_result> await_token(oauth::token_manager& m);

}  // namespace mh
