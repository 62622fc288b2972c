#include <memory>

#include "common.hpp"
#include "oddseq/stream/entity_store.hpp"

namespace oddseq::bindings {

namespace {

using stream::EntityStore;

std::unique_ptr<EntityStore> make_store(const CArray<std::int32_t>& column_of_code,
                                        std::int64_t n_columns, bool has_times, bool has_items,
                                        bool has_values, std::int32_t view, std::int32_t cart,
                                        std::int32_t fav, std::int32_t buy,
                                        std::int64_t max_exact_items, std::int64_t lateness_ns,
                                        std::int64_t max_late_events, std::int64_t ttl_ns,
                                        std::int64_t max_entities) {
  stream::StoreParams params;
  params.column_of_code.assign(column_of_code.data(),
                               column_of_code.data() + column_of_code.size());
  params.n_columns = n_columns;
  params.has_times = has_times;
  params.has_items = has_items;
  params.has_values = has_values;
  params.funnel = stream::Funnel{view, cart, fav, buy};
  params.max_exact_items = max_exact_items;
  params.lateness_ns = lateness_ns;
  params.max_late_events = max_late_events;
  params.ttl_ns = ttl_ns;
  params.max_entities = max_entities;
  return std::make_unique<EntityStore>(params);
}

py::tuple update(EntityStore& store, const CArray<std::uint64_t>& entity,
                 const CArray<std::int32_t>& code, const std::optional<CArray<std::int64_t>>& time,
                 const std::optional<CArray<std::uint64_t>>& item,
                 const std::optional<CArray<std::uint8_t>>& item_present,
                 const std::optional<CArray<double>>& value) {
  const std::int64_t n = entity.size();
  auto same = [n](std::int64_t size, const char* what) {
    if (size != n) {
      throw std::invalid_argument(std::string(what) + " has a different length than entity");
    }
  };
  same(code.size(), "code");
  if (time) same(time->size(), "time");
  if (item) same(item->size(), "item");
  if (item.has_value() != item_present.has_value()) {
    throw std::invalid_argument("item and item_present go together");
  }
  if (item_present) same(item_present->size(), "item_present");
  if (value) same(value->size(), "value");
  stream::EventBatch batch{n,
                           entity.data(),
                           code.data(),
                           data_or_null(time),
                           data_or_null(item),
                           data_or_null(item_present),
                           data_or_null(value)};
  std::vector<std::uint8_t> status(static_cast<std::size_t>(n));
  std::vector<std::uint64_t> touched;
  {
    py::gil_scoped_release release;  // sequential state updates; no Python objects touched
    store.update(batch, status.data(), touched);
  }
  return py::make_tuple(to_numpy(std::move(status)), to_numpy(std::move(touched)));
}

py::tuple features(const EntityStore& store, const CArray<std::uint64_t>& keys,
                   std::int64_t n_columns) {
  const std::int64_t n = keys.size();
  const std::int64_t width = stream::feature_width(n_columns);
  std::vector<float> out(static_cast<std::size_t>(n * width));
  std::vector<std::int64_t> length(static_cast<std::size_t>(n));
  std::vector<std::uint8_t> found(static_cast<std::size_t>(n)), approx(static_cast<std::size_t>(n));
  {
    py::gil_scoped_release release;  // reads the state only
    store.features(keys.data(), n, out.data(), length.data(), found.data(), approx.data());
  }
  return py::make_tuple(to_numpy_2d(std::move(out), n, width), to_numpy(std::move(length)),
                        to_numpy(std::move(found)), to_numpy(std::move(approx)));
}

void set_alerted(EntityStore& store, const CArray<std::uint64_t>& keys, bool value) {
  py::gil_scoped_release release;  // plain state writes
  store.set_alerted(keys.data(), keys.size(), value ? 1 : 0);
}

py::array_t<std::uint8_t> alerted(const EntityStore& store, const CArray<std::uint64_t>& keys) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(keys.size()));
  {
    py::gil_scoped_release release;  // reads the state only
    store.alerted(keys.data(), keys.size(), out.data());
  }
  return to_numpy(std::move(out));
}

py::dict counters(const EntityStore& store) {
  const stream::StoreCounters& c = store.counters();
  py::dict out;
  out["n_events"] = c.events;
  out["n_late_accepted"] = c.late_accepted;
  out["n_late_dropped"] = c.late_dropped;
  out["n_evicted_ttl"] = c.evicted_ttl;
  out["n_evicted_cap"] = c.evicted_cap;
  out["n_entities"] = store.size();
  return out;
}

std::int64_t memory_bytes(const EntityStore& store) {
  py::gil_scoped_release release;  // a walk over the state
  return store.memory_bytes();
}

std::int64_t evict_idle(EntityStore& store, std::int64_t now_ns) {
  py::gil_scoped_release release;  // a walk over the state
  return store.evict_idle(now_ns);
}

}  // namespace

void register_stream(py::module_& m) {
  py::class_<EntityStore>(m, "StreamEntityStore",
                          "Per-entity running state of a live stream (oddseq.stream).")
      .def(py::init(&make_store), py::arg("column_of_code"), py::arg("n_columns"),
           py::arg("has_times"), py::arg("has_items"), py::arg("has_values"), py::arg("view"),
           py::arg("cart"), py::arg("fav"), py::arg("buy"), py::arg("max_exact_items"),
           py::arg("lateness_ns"), py::arg("max_late_events"), py::arg("ttl_ns"),
           py::arg("max_entities"))
      .def("update", &update, py::arg("entity"), py::arg("code"), py::arg("time"),
           py::arg("item"), py::arg("item_present"), py::arg("value"))
      .def("features", &features, py::arg("keys"), py::arg("n_columns"))
      .def("set_alerted", &set_alerted, py::arg("keys"), py::arg("value"))
      .def("alerted", &alerted, py::arg("keys"))
      .def("counters", &counters)
      .def("memory_bytes", &memory_bytes)
      .def("evict_idle", &evict_idle, py::arg("now_ns"))
      .def_property_readonly("watermark", &EntityStore::watermark);
}

}  // namespace oddseq::bindings
