from privacy.access_log import access_log_record, access_read_from_request


class AccessLogMiddleware:
    """Records, once the view has answered, every successful read of a person's data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "GET" and 200 <= response.status_code < 300:
            read = access_read_from_request(request)
            if read is not None:
                access_log_record(read)
        return response
