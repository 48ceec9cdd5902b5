// The one list of route groups. A new group (refget, jobs, metrics ...) is a function
// `void add_xxx_routes(Router&, Service&)` in handlers/xxx.cpp, declared in service.hpp and
// called here; routes are matched in the order added.
#include "ofq/server/service.hpp"

namespace ofq::server {

Router build_router(Service& s) {
  Router r;
  add_original_routes(r, s);
  add_v1_routes(r, s);
  add_refget_routes(r, s);
  r.on_engine_error = [&s](const Error& e) { return s.engine_error(e); };
  return r;
}

}  // namespace ofq::server
