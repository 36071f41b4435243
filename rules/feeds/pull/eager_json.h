#pragma once
// RapidJSON types for the pull library whose internal stacks allocate when
// they are made.
//
// Debian's RapidJSON (1.1.0) allocates a stack (the DOM's, its reader's, a
// string buffer's, a writer's) on the first push, and decides to by adding
// the pushed size to the still-null top pointer. That is undefined
// behaviour, and clang's UBSan stops the fuzz targets on the first value of
// every document. A stack's type follows its allocator template argument,
// so the types below name EagerJsonStack there and get the stack defined
// here, which has memory from the start and never does arithmetic on a
// null pointer. It holds what RapidJSON calls of a stack; a RapidJSON that
// calls more fails to compile rather than misbehave.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <utility>

#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace kagami::feeds::pull {
// Selects the stack below; never allocates anything itself.
struct EagerJsonStack {};
}  // namespace kagami::feeds::pull

namespace rapidjson::internal {
template <>
class Stack<kagami::feeds::pull::EagerJsonStack> {
 public:
  using Tag = kagami::feeds::pull::EagerJsonStack;

  Stack(Tag*, size_t capacity) { Allocate(std::max<size_t>(capacity, 256)); }
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  void Swap(Stack& other) noexcept {
    std::swap(bytes_, other.bytes_);
    std::swap(top_, other.top_);
    std::swap(end_, other.end_);
  }
  void Clear() { top_ = bytes_.get(); }
  // Keeps the memory: the point of this stack is never to be without it.
  void ShrinkToFit() {}

  template <typename T>
  RAPIDJSON_FORCEINLINE void Reserve(size_t count = 1) {
    const size_t n = sizeof(T) * count;
    if (RAPIDJSON_UNLIKELY(static_cast<size_t>(end_ - top_) < n)) Grow(n);
  }
  template <typename T>
  RAPIDJSON_FORCEINLINE T* Push(size_t count = 1) {
    Reserve<T>(count);
    return PushUnsafe<T>(count);
  }
  template <typename T>
  RAPIDJSON_FORCEINLINE T* PushUnsafe(size_t count = 1) {
    T* at = reinterpret_cast<T*>(top_);
    top_ += sizeof(T) * count;
    return at;
  }
  // Popped bytes stay readable until the next push: RapidJSON reads a
  // popped string from there.
  template <typename T>
  T* Pop(size_t count) {
    top_ -= sizeof(T) * count;
    return reinterpret_cast<T*>(top_);
  }
  template <typename T>
  T* Top() {
    return reinterpret_cast<T*>(top_ - sizeof(T));
  }
  template <typename T>
  const T* Top() const {
    return reinterpret_cast<const T*>(top_ - sizeof(T));
  }
  template <typename T>
  T* End() {
    return reinterpret_cast<T*>(top_);
  }
  template <typename T>
  T* Bottom() {
    return reinterpret_cast<T*>(bytes_.get());
  }
  template <typename T>
  const T* Bottom() const {
    return reinterpret_cast<const T*>(bytes_.get());
  }

  bool HasAllocator() const { return false; }
  Tag& GetAllocator() {
    static Tag tag;
    return tag;
  }
  bool Empty() const { return top_ == bytes_.get(); }
  size_t GetSize() const { return static_cast<size_t>(top_ - bytes_.get()); }
  size_t GetCapacity() const { return static_cast<size_t>(end_ - bytes_.get()); }

 private:
  void Allocate(size_t capacity) {
    bytes_.reset(new char[capacity]);
    top_ = bytes_.get();
    end_ = top_ + capacity;
  }
  void Grow(size_t n) {
    const size_t used = GetSize();
    const size_t capacity = std::max(used + n, 2 * GetCapacity());
    std::unique_ptr<char[]> bigger(new char[capacity]);
    std::memcpy(bigger.get(), bytes_.get(), used);
    bytes_ = std::move(bigger);
    top_ = bytes_.get() + used;
    end_ = bytes_.get() + capacity;
  }

  std::unique_ptr<char[]> bytes_;
  char* top_ = nullptr;
  char* end_ = nullptr;
};
}  // namespace rapidjson::internal

namespace kagami::feeds::pull {

// A DOM; its values are plain rapidjson::Value.
using JsonDocument =
    rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>,
                               EagerJsonStack>;
using JsonBuffer = rapidjson::GenericStringBuffer<rapidjson::UTF8<>, EagerJsonStack>;
using JsonWriter = rapidjson::Writer<JsonBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>, EagerJsonStack>;

}  // namespace kagami::feeds::pull
