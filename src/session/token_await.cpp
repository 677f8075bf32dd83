#include "session/token_await.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <memory>

namespace mh {

net::awaitable<oauth::acquire_result> await_token(oauth::token_manager& m) {
  auto ex = co_await net::this_coro::executor;
  co_return co_await net::async_initiate<const net::use_awaitable_t<>, void(oauth::acquire_result)>(
      [&m, ex](auto handler) {
        // std::function needs a copyable callable: the move-only handler lives in a shared_ptr.
        using handler_t = decltype(handler);
        auto h = std::make_shared<handler_t>(std::move(handler));
        auto work = std::make_shared<net::executor_work_guard<decltype(ex)>>(ex);
        m.async_acquire([h, work](oauth::acquire_result r) {
          net::post(work->get_executor(), [h, work, r = std::move(r)]() mutable {
            (*h)(std::move(r));
            work->reset();
          });
        });
      },
      net::use_awaitable);
}

}  // namespace mh
