#pragma once
// A Sequences object's columns as one argument: the encoders take (sequences, params,
// n_threads) instead of a column per argument.
#include "common.hpp"

namespace oddseq::bindings {

// The columns held by reference and checked once: offsets start at 0, never decrease and
// end at the number of events; every other column holds one entry per event. items are
// int32 or int64 codes (-1 missing), C-contiguous, never converted.
struct SequencesView {
  CArray<std::int64_t> offsets;
  CArray<std::int32_t> events;
  std::optional<CArray<std::int64_t>> times;
  std::optional<py::array> items;
  std::optional<CArray<double>> values;

  std::int64_t n_sequences() const { return offsets.size() - 1; }
  bool items_are_int64() const {
    return items.has_value() && py::isinstance<py::array_t<std::int64_t>>(*items);
  }
  template <class ItemT>
  const ItemT* item_data() const {
    return items.has_value() ? static_cast<const ItemT*>(items->data()) : nullptr;
  }
};

SequencesView make_sequences_view(CArray<std::int64_t> offsets, CArray<std::int32_t> events,
                                  std::optional<CArray<std::int64_t>> times,
                                  std::optional<py::array> items,
                                  std::optional<CArray<double>> values);

}  // namespace oddseq::bindings
