// The JSON API (designer contract): fetch with the CSRF header, answers as {status, data}.

function csrfToken() {
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
}

export class ApiError extends Error {
  constructor(status, data) {
    super(data?.message || `The server answered ${status}.`);
    this.status = status;
    this.data = data;
  }
}

/** Call the API; 2xx and 409 come back as {status, data}, anything else throws ApiError. */
export async function request(url, { method = "GET", body, csrfHeader = "X-CSRFToken" } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers[csrfHeader] = csrfToken();
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, { message: "The server cannot be reached; changes are kept here and retried." });
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.ok || response.status === 409) return { status: response.status, data };
  throw new ApiError(response.status, data);
}
