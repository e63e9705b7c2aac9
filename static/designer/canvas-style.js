// How the designer's canvas draws components, groups and connections (Cytoscape.js styles),
// with the selected, finding and connecting states.

export function canvasStyle() {
  return [
    {
      selector: "node.component",
      style: {
        shape: "round-rectangle",
        width: 64,
        height: 64,
        "background-color": "#ffffff",
        "border-width": 1.5,
        "border-color": "#aeb7c3",
        "background-image": "data(icon)",
        "background-width": 44,
        "background-height": 44,
        "background-image-smoothing": "yes",
        label: "data(label)",
        "text-valign": "bottom",
        "text-halign": "center",
        "text-margin-y": 6,
        "font-size": 14,
        "font-family": "system-ui, sans-serif",
        color: "#1b2430",
        "text-wrap": "ellipsis",
        "text-max-width": 150,
        "min-zoomed-font-size": 7,
      },
    },
    { selector: "node.component.finding-warning", style: { "border-color": "#d99a00", "border-width": 3 } },
    { selector: "node.component.finding-error", style: { "border-color": "#a4262c", "border-width": 3 } },
    {
      selector: "node.group",
      style: {
        shape: "round-rectangle",
        "background-color": "#e3e9f1",
        "background-opacity": 0.55,
        "border-width": 1.5,
        "border-style": "dashed",
        "border-color": "#8d9aab",
        padding: 26,
        label: "data(label)",
        "text-valign": "top",
        "text-halign": "center",
        "text-margin-y": -4,
        "font-size": 15,
        "font-weight": 600,
        color: "#3d4756",
      },
    },
    {
      selector: "edge",
      style: {
        width: 2,
        "curve-style": "bezier",
        "line-color": "#6f7b8b",
        "target-arrow-color": "#6f7b8b",
        "target-arrow-shape": "triangle",
        "arrow-scale": 1.1,
        label: "data(label)",
        "font-size": 12,
        "font-family": "system-ui, sans-serif",
        color: "#3d4756",
        "text-background-color": "#f4f6f9",
        "text-background-opacity": 1,
        "text-background-padding": 2,
        "min-zoomed-font-size": 8,
      },
    },
    { selector: "edge.async", style: { "line-style": "dashed", "line-dash-pattern": [7, 4] } },
    { selector: "edge.failure", style: { "line-color": "#b0645a", "target-arrow-color": "#b0645a" } },
    { selector: "edge.finding-warning", style: { "line-color": "#d99a00", "target-arrow-color": "#d99a00", width: 3, color: "#8a5a00" } },
    { selector: "edge.finding-error", style: { "line-color": "#a4262c", "target-arrow-color": "#a4262c", width: 3, color: "#a4262c" } },
    {
      selector: ":selected",
      style: { "border-color": "#1f4e79", "border-width": 3.5, "line-color": "#1f4e79", "target-arrow-color": "#1f4e79" },
    },
    { selector: "node.group:selected", style: { "border-style": "solid" } },
    { selector: ".eh-hover", style: { "border-color": "#1f4e79", "border-width": 4 } },
    {
      selector: ".eh-preview, .eh-ghost-edge",
      style: { "line-color": "#1f4e79", "target-arrow-color": "#1f4e79", "line-style": "dashed", label: "" },
    },
    { selector: ".eh-ghost-edge.eh-preview-active", style: { opacity: 0 } },
    // Keyboard: the source of a connection being made, then the focus ring: a thick ink ring
    // away from the border, so that it reads apart from the selected and the finding borders.
    {
      selector: "node.component.connect-source",
      style: {
        "outline-width": 3, "outline-style": "dashed", "outline-color": "#1f4e79", "outline-offset": 6,
        "text-margin-y": 14,
      },
    },
    {
      selector: "node.component.keyboard-focus",
      style: {
        "outline-width": 4, "outline-style": "solid", "outline-color": "#1b2430", "outline-offset": 6,
        "text-margin-y": 14, // the label below the ring, not under it
      },
    },
    { selector: "node.component.keyboard-moving", style: { "outline-style": "dashed", "outline-width": 3 } },
    {
      selector: "edge.keyboard-preview",
      style: { "line-color": "#1f4e79", "target-arrow-color": "#1f4e79", "line-style": "dashed", width: 3, label: "" },
    },
  ];
}
