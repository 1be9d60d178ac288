// Videos: the provider's player (and its scripts) load only when the reader asks for it.
// Without JavaScript the link simply opens the video on the provider's site.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-embed]");
  if (!link) return;
  event.preventDefault();
  const frame = document.createElement("iframe");
  frame.src = link.dataset.embed;
  frame.title = link.textContent.trim();
  frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
  frame.referrerPolicy = "strict-origin-when-cross-origin";
  link.replaceWith(frame);
});
