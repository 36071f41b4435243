#pragma once
// PagedArray: a growable array of trivially copyable records kept in fixed
// pages. Growing never moves or copies what is stored (a vector of a million
// records would copy them ~20 times and touch twice their size in fresh
// memory), the unused tail of the last page is never written (so it costs
// address space, not resident memory), and element i is one shift and one
// mask away. The first page starts small and doubles up to full size, so a
// store of a few indicators stays small.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace kagami::intel {

template <class T, int kPageBits = 16>
class PagedArray {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  static constexpr size_t kPageSize = size_t{1} << kPageBits;

  PagedArray() = default;
  PagedArray(PagedArray&& o) noexcept { *this = std::move(o); }
  PagedArray& operator=(PagedArray&& o) noexcept {  // leaves `o` empty
    pages_ = std::move(o.pages_);
    size_ = o.size_;
    first_capacity_ = o.first_capacity_;
    o.clear();
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return pages_[i >> kPageBits].get()[i & (kPageSize - 1)]; }
  const T& operator[](size_t i) const { return pages_[i >> kPageBits].get()[i & (kPageSize - 1)]; }
  T& back() { return (*this)[size_ - 1]; }

  void push_back(const T& v) {
    const size_t page = size_ >> kPageBits;
    if (page == pages_.size() || (page == 0 && size_ == first_capacity_)) AddRoom();
    new (&(*this)[size_]) T(v);
    ++size_;
  }
  // Forgets the elements from n on (n <= size()); their pages are reused.
  void truncate(size_t n) { size_ = std::min(n, size_); }
  void clear() {
    pages_.clear();
    size_ = 0;
    first_capacity_ = 0;
  }
  size_t memory_bytes() const {
    if (pages_.empty()) return 0;
    return pages_.capacity() * sizeof(pages_[0]) +
           (first_capacity_ + (pages_.size() - 1) * kPageSize) * sizeof(T);
  }

 private:
  struct Free {
    void operator()(T* p) const { ::operator delete(static_cast<void*>(p)); }
  };
  using Page = std::unique_ptr<T, Free>;
  static Page Allocate(size_t n) { return Page(static_cast<T*>(::operator new(n * sizeof(T)))); }

  void AddRoom() {
    if (pages_.empty() || first_capacity_ < kPageSize) {
      // The first page doubles until it is a full page.
      const size_t capacity = std::min(kPageSize, std::max<size_t>(16, first_capacity_ * 2));
      Page page = Allocate(capacity);
      if (size_ > 0) std::memcpy(static_cast<void*>(page.get()), pages_[0].get(), size_ * sizeof(T));
      if (pages_.empty()) pages_.emplace_back();
      pages_[0] = std::move(page);
      first_capacity_ = capacity;
      if (size_ < first_capacity_) return;
    }
    pages_.push_back(Allocate(kPageSize));
  }

  std::vector<Page> pages_;
  size_t size_ = 0;
  size_t first_capacity_ = 0;
};

}  // namespace kagami::intel
