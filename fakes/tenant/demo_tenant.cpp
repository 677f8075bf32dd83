#include "tenant/tenant.hpp"

namespace mh::fake {

extern const std::string_view demo_tenant_json;

tenant demo_tenant() { return parse_tenant(demo_tenant_json, "<built-in demo tenant>"); }

}  // namespace mh::fake
