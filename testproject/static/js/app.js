// h2push test project: lists how each resource of this page was fetched.
document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("resource-timing");
  if (!list) return;
  for (const entry of performance.getEntriesByType("resource")) {
    const item = document.createElement("li");
    item.textContent = `${new URL(entry.name).pathname}: ${entry.initiatorType}`;
    list.appendChild(item);
  }
});
