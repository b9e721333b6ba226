# An unmodified Flask application, served as a WSGI script (mod_wsgi style: the module-level
# `application` is the WSGI callable). Flask comes from Debian's python3-flask.
from flask import Flask, jsonify, request, url_for

application = Flask(__name__)


@application.route('/')
def index():
    return jsonify(hello='flask', script_name=request.environ.get('SCRIPT_NAME'),
                   process_group=request.environ.get('mod_wsgi.process_group'))


@application.route('/echo', methods=['POST'])
def echo():
    return jsonify(length=len(request.get_data()))


@application.route('/users/<int:user_id>')
def user(user_id):
    return jsonify(user=user_id, path_info=request.environ.get('PATH_INFO'))


@application.route('/where')
def where():
    # Behind a TLS listener (or a trusted proxy that says https) this starts with https://.
    return jsonify(external=url_for('user', user_id=1, _external=True), secure=request.is_secure)
